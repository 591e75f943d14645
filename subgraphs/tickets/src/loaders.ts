import { raw } from '@mikro-orm/core';
import { reviveDates, type CachedType, type EntityCache, type EntityManager, type Identity } from '@switchboard/kit';
import DataLoader from 'dataloader';
import { SlaPolicy } from './modules/sla/sla-policy.entity';
import { Ticket } from './modules/tickets/ticket.entity';
import { TicketComment } from './modules/tickets/ticket-comment.entity';
import { TicketHistory } from './modules/tickets/ticket-history.entity';
import { OPEN_STATUSES } from './modules/tickets/workflow';

const TICKET_DATES = ['createdAt', 'updatedAt', 'firstRespondedAt', 'resolvedAt', 'closedAt', 'firstResponseDueAt', 'resolutionDueAt', 'slaBreachedAt'] as const;

export const CACHED_TICKET: CachedType<Ticket> = {
  type: 'Ticket',
  toCache: (t) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(t)) if (!k.startsWith('_')) out[k] = v;
    return out;
  },
  fromCache: (json) => reviveDates<Ticket>(json, TICKET_DATES),
};

export interface TicketsLoaders {
  ticket: DataLoader<string, Ticket | null>;
  slaPolicy: DataLoader<string, SlaPolicy | null>;
  history: DataLoader<string, TicketHistory[]>;
  comments: DataLoader<string, TicketComment[]>;
  openTicketCount: DataLoader<string, number>;
}

function groupBy<T>(rows: T[], key: (t: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const r of rows) map.set(key(r), [...(map.get(key(r)) ?? []), r]);
  return map;
}

/** Per request: every batched read of the tickets subgraph, one query per batch. */
export function createLoaders(cache: EntityCache, em: EntityManager, identity: Identity): TicketsLoaders {
  const tenantId = identity.tenantId ?? '';
  const none = !tenantId;
  return {
    ticket: cache.loader(CACHED_TICKET, tenantId, async (ids) => {
      const rows = none ? [] : await em.find(Ticket, { id: { $in: [...ids] }, tenantId });
      return new Map(rows.map((t) => [t.id, t]));
    }),
    slaPolicy: new DataLoader(async (ids) => {
      const rows = none ? [] : await em.find(SlaPolicy, { id: { $in: [...ids] }, tenantId });
      const byId = new Map(rows.map((p) => [p.id, p]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    history: new DataLoader(async (ticketIds) => {
      const rows = none ? [] : await em.find(TicketHistory, { ticketId: { $in: [...ticketIds] }, tenantId }, { orderBy: { seq: 'asc' } });
      const by = groupBy(rows, (r) => r.ticketId);
      return ticketIds.map((id) => by.get(id) ?? []);
    }),
    comments: new DataLoader(async (ticketIds) => {
      const rows = none ? [] : await em.find(TicketComment, { ticketId: { $in: [...ticketIds] }, tenantId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
      const by = groupBy(rows, (r) => r.ticketId);
      return ticketIds.map((id) => by.get(id) ?? []);
    }),
    openTicketCount: new DataLoader(async (userIds) => {
      if (none) return userIds.map(() => 0);
      const rows = await em
        .createQueryBuilder(Ticket)
        .select(['assigneeId', raw('count(*) as n')])
        .where({ tenantId, assigneeId: { $in: [...userIds] }, status: { $in: [...OPEN_STATUSES] } })
        .groupBy('assigneeId')
        .execute<{ assigneeId: string; n: string | number }[]>('all');
      const counts = new Map(rows.map((r) => [r.assigneeId, Number(r.n)]));
      return userIds.map((id) => counts.get(id) ?? 0);
    }),
  };
}
