import { raw, type EntityName } from '@mikro-orm/core';
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

/** A page of a plain list under a parent (a ticket's comments, a conversation's tickets). */
export interface ListPage {
  /** Items per parent; the resolvers cap it (LIST_MAX). */
  first: number;
  /** The id of the last item the caller has: the page starts after it (empty when it is not in the list). */
  after?: string | null;
  /** Partner keys: internal notes and their history entries are left out in SQL. */
  publicOnly?: boolean;
}

export interface TicketsLoaders {
  ticket: DataLoader<string, Ticket | null>;
  slaPolicy: DataLoader<string, SlaPolicy | null>;
  /** By ticket id: one statement per page shape for every ticket in the answer. */
  history(page: ListPage): DataLoader<string, TicketHistory[]>;
  comments(page: ListPage): DataLoader<string, TicketComment[]>;
  /** By conversation id: the tickets escalated from it, oldest first. */
  conversationTickets(page: ListPage): DataLoader<string, Ticket[]>;
  openTicketCount: DataLoader<string, number>;
}

/**
 * The first `page.first` rows per parent of `table`, after the row `page.after` of the same
 * parent, for many parents in one statement (a window over the parent column). `order` is the
 * list order; `position` the columns compared with the `after` row (a row comparison).
 */
async function pagesByParent<T extends object>(
  em: EntityManager,
  entity: EntityName<T>,
  spec: { table: string; parent: string; order: string; position: string; where?: string },
  tenantId: string,
  parentIds: readonly string[],
  page: ListPage,
): Promise<Map<string, T[]>> {
  const schema = em.config.get('schema');
  const table = `"${schema}"."${spec.table}"`;
  const params: unknown[] = [tenantId, ...parentIds];
  let after = '';
  if (page.after) {
    after = ` and (${spec.position.split(',').map((c) => `r.${c.trim()}`).join(', ')}) > (select ${spec.position} from ${table} a where a."id" = ? and a."tenant_id" = r."tenant_id" and a.${spec.parent} = r.${spec.parent})`;
    params.push(page.after);
  }
  params.push(page.first);
  const rows = await em.getConnection().execute<Record<string, unknown>[]>(
    `select * from (
       select r.*, row_number() over (partition by r.${spec.parent} order by ${spec.order}) as "_n"
       from ${table} r
       where r."tenant_id" = ? and r.${spec.parent} in (${parentIds.map(() => '?').join(', ')})${spec.where ? ` and ${spec.where}` : ''}${after}
     ) x where x."_n" <= ? order by x.${spec.parent}, x."_n"`,
    params,
    'all',
    em.getTransactionContext(),
  );
  const out = new Map<string, T[]>();
  for (const { _n, ...row } of rows) {
    const entityRow = em.map(entity, row as never);
    const key = String(row[spec.parent.replace(/"/g, '')]);
    out.set(key, [...(out.get(key) ?? []), entityRow]);
  }
  return out;
}

/** One DataLoader per distinct page shape in a request. */
function perPage<V>(load: (ids: readonly string[], page: ListPage) => Promise<Map<string, V[]>>): (page: ListPage) => DataLoader<string, V[]> {
  const loaders = new Map<string, DataLoader<string, V[]>>();
  return (page) => {
    const key = JSON.stringify([page.first, page.after ?? null, page.publicOnly ?? false]);
    let loader = loaders.get(key);
    if (!loader) {
      loader = new DataLoader(async (ids) => {
        const found = await load(ids, page);
        return ids.map((id) => found.get(id) ?? []);
      });
      loaders.set(key, loader);
    }
    return loader;
  };
}

/** Per request: every batched read of the tickets subgraph, one query per batch. */
export function createLoaders(cache: EntityCache, em: EntityManager, identity: Identity): TicketsLoaders {
  const tenantId = identity.tenantId ?? '';
  const none = !tenantId;
  const ticket = cache.loader(CACHED_TICKET, tenantId, async (ids) => {
    const rows = none ? [] : await em.find(Ticket, { id: { $in: [...ids] }, tenantId });
    return new Map(rows.map((t) => [t.id, t]));
  });
  return {
    ticket,
    slaPolicy: new DataLoader(async (ids) => {
      const rows = none ? [] : await em.find(SlaPolicy, { id: { $in: [...ids] }, tenantId });
      const byId = new Map(rows.map((p) => [p.id, p]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    history: perPage(async (ticketIds, page) =>
      none
        ? new Map()
        : pagesByParent(em, TicketHistory, { table: 'ticket_history', parent: '"ticket_id"', order: 'r."seq"', position: '"seq"', where: page.publicOnly ? `r."field" <> 'internalNote'` : undefined }, tenantId, ticketIds, page),
    ),
    comments: perPage(async (ticketIds, page) =>
      none
        ? new Map()
        : pagesByParent(em, TicketComment, { table: 'ticket_comment', parent: '"ticket_id"', order: 'r."created_at", r."id"', position: '"created_at", "id"', where: page.publicOnly ? 'not r."internal"' : undefined }, tenantId, ticketIds, page),
    ),
    conversationTickets: perPage(async (conversationIds, page) => {
      if (none) return new Map();
      const found = await pagesByParent(em, Ticket, { table: 'ticket', parent: '"conversation_id"', order: 'r."created_at", r."id"', position: '"created_at", "id"' }, tenantId, conversationIds, page);
      for (const list of found.values()) for (const t of list) ticket.prime(t.id, t);
      return found;
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
