import type { EntityManager, Identity } from '@switchboard/kit';
import DataLoader from 'dataloader';
import { AiTurn, AssistantConversation, AssistantVersion, TicketTriage } from './modules/assistants/entities';
import type { AssistantStats } from './modules/assistants/graphql-types';

export interface AssistantsLoaders {
  /** Versions of an assistant, oldest first. */
  versions: DataLoader<string, AssistantVersion[]>;
  /** Stats per `assistantId:version`: one grouped query per request. */
  stats: DataLoader<string, AssistantStats>;
  /** The bot's turn by its message's idempotency key. */
  aiTurn: DataLoader<string, AiTurn | null>;
  /** The assistant's record of a conversation (handoff summary, suggestions). */
  conversation: DataLoader<string, AssistantConversation | null>;
  triage: DataLoader<string, TicketTriage | null>;
}

const byKey = <T, K extends keyof T>(rows: T[], key: K) => new Map(rows.map((r) => [r[key] as unknown as string, r]));

/** Fresh per request, every query bound to the caller's tenant: nothing is shared between requests or tenants. */
export function createLoaders(em: EntityManager, identity: Identity): AssistantsLoaders {
  const tenantId = identity.tenantId ?? '';
  const none = <T>(ids: readonly string[]) => ids.map(() => null as T | null);
  return {
    versions: new DataLoader(async (ids) => {
      const rows = tenantId ? await em.find(AssistantVersion, { tenantId, assistantId: { $in: [...ids] } }, { orderBy: { version: 'asc' } }) : [];
      return ids.map((id) => rows.filter((r) => r.assistantId === id));
    }),
    stats: new DataLoader(async (keys) => {
      const ids = [...new Set(keys.map((k) => k.split(':')[0]!))];
      const rows: { assistant_id: string; version: number; conversations: string; resolved: string; handoffs: string; csat: number | null; cost: number }[] = tenantId
        ? await em.getConnection().execute(
            `select "assistant_id", "version", count(*) as "conversations", count(*) filter (where "resolved_by_bot") as "resolved",
                    count(*) filter (where "handed_off") as "handoffs", avg("csat")::float8 as "csat", coalesce(sum("cost_usd"), 0)::float8 as "cost"
               from "${em.config.get('schema')}"."assistant_conversation"
              where "tenant_id" = ? and "assistant_id" = any(?::uuid[]) group by 1, 2`,
            [tenantId, `{${ids.join(',')}}`],
          )
        : [];
      const found = new Map(rows.map((r) => [`${r.assistant_id}:${r.version}`, r]));
      return keys.map((k) => {
        const r = found.get(k);
        return { conversations: Number(r?.conversations ?? 0), resolvedByBot: Number(r?.resolved ?? 0), handoffs: Number(r?.handoffs ?? 0), csat: r?.csat ?? null, costUsd: Math.round((r?.cost ?? 0) * 1e6) / 1e6 };
      });
    }),
    aiTurn: new DataLoader(async (keys) => {
      if (!tenantId) return none(keys);
      const found = byKey(await em.find(AiTurn, { tenantId, key: { $in: [...keys] } }), 'key');
      return keys.map((k) => found.get(k) ?? null);
    }),
    conversation: new DataLoader(async (ids) => {
      if (!tenantId) return none(ids);
      const found = byKey(await em.find(AssistantConversation, { tenantId, conversationId: { $in: [...ids] } }), 'conversationId');
      return ids.map((id) => found.get(id) ?? null);
    }),
    triage: new DataLoader(async (ids) => {
      if (!tenantId) return none(ids);
      const found = byKey(await em.find(TicketTriage, { tenantId, ticketId: { $in: [...ids] } }), 'ticketId');
      return ids.map((id) => found.get(id) ?? null);
    }),
  };
}
