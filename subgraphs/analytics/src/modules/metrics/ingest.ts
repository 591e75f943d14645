import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { DomainEvent, EventConsumer } from '@switchboard/kit';
import {
  DIMENSIONS,
  FACT_EVENTS,
  conversationContributions,
  diffContributions,
  factKey,
  foldConversation,
  foldTicket,
  ticketClosedAt,
  ticketContributions,
  usageContributions,
  type Contribution,
  type ConversationFact,
  type TicketFact,
} from './facts';

export const ROLLUPS_GROUP = 'analytics.rollups';

type Run = (sql: string, params?: unknown[]) => Promise<any[]>;

function runner(em: EntityManager): Run {
  const conn = em.getConnection();
  return (sql, params = []) => conn.execute(sql, params, 'all', em.getTransactionContext()) as Promise<any[]>;
}

const monthStart = (iso: string) => {
  const d = new Date(iso);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
};

/** Month partitions known to exist, per schema (created on demand, once per process). */
const knownPartitions = new Map<string, Set<string>>();

/** Creates the month partitions of `rollup` and `sample` that `buckets` fall into, if missing. */
export async function ensurePartitions(run: Run, schema: string, buckets: Iterable<string>): Promise<void> {
  const known = knownPartitions.get(schema) ?? new Set<string>();
  knownPartitions.set(schema, known);
  for (const b of buckets) {
    const from = monthStart(b);
    const suffix = `${from.getUTCFullYear()}${String(from.getUTCMonth() + 1).padStart(2, '0')}`;
    if (known.has(suffix)) continue;
    const to = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1));
    for (const table of ['rollup', 'sample']) {
      await run(`create table if not exists "${schema}"."${table}_${suffix}" partition of "${schema}"."${table}" for values from ('${from.toISOString()}') to ('${to.toISOString()}')`);
    }
    known.add(suffix);
  }
}

/** Forget the partitions this process created in `schema` (after a rebuild drops them). */
export function forgetPartitions(schema: string): void {
  knownPartitions.delete(schema);
}

async function applyContributions(run: Run, schema: string, tenantId: string, entityId: string, before: Contribution[], after: Contribution[]): Promise<void> {
  const { counters, removeSamples, addSamples } = diffContributions(before, after);
  await ensurePartitions(run, schema, [...counters, ...addSamples].map((c) => c.b));
  if (counters.length) {
    const values: string[] = [];
    const params: unknown[] = [];
    for (const c of counters) {
      values.push('(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
      params.push(tenantId, c.b, c.m, ...DIMENSIONS.map((k) => c.d[k]), c.n, c.v);
    }
    await run(
      `insert into "${schema}"."rollup" as r ("tenant_id", "bucket", "measure", "channel", "agent", "assistant", "model", "priority", "n", "total")
       values ${values.join(', ')}
       on conflict ("tenant_id", "measure", "bucket", "channel", "agent", "assistant", "model", "priority")
       do update set "n" = r."n" + excluded."n", "total" = r."total" + excluded."total"`,
      params,
    );
  }
  for (const c of removeSamples) {
    await run(`delete from "${schema}"."sample" where "tenant_id" = ? and "measure" = ? and "bucket" = ? and "entity_id" = ?`, [tenantId, c.m, c.b, entityId]);
  }
  for (const c of addSamples) {
    await run(
      `insert into "${schema}"."sample" ("tenant_id", "bucket", "measure", "entity_id", "channel", "agent", "assistant", "model", "priority", "value")
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       on conflict ("tenant_id", "measure", "bucket", "entity_id") do update set
         "value" = excluded."value", "channel" = excluded."channel", "agent" = excluded."agent",
         "assistant" = excluded."assistant", "model" = excluded."model", "priority" = excluded."priority"`,
      [tenantId, c.b, c.m, entityId, ...DIMENSIONS.map((k) => c.d[k]), c.v],
    );
  }
}

/**
 * Applies one domain event inside the caller's transaction: records it (its id is the
 * idempotency guard — a redelivered or replayed event changes nothing), folds it into its
 * fact, and moves the rollups from what the fact contributed before to what it contributes
 * now. Answers false when the event had been applied already.
 */
export async function applyEvent(em: EntityManager, schema: string, event: DomainEvent, options: { record?: boolean } = {}): Promise<boolean> {
  const run = runner(em);
  if (options.record !== false) {
    const inserted = await run(
      `insert into "${schema}"."event" ("id", "tenant_id", "type", "occurred_at", "data") values (?, ?, ?, ?, ?) on conflict do nothing returning "id"`,
      [event.id, event.tenantId, event.type, event.occurredAt, JSON.stringify(event.data ?? {})],
    );
    if (!inserted.length) return false;
  }
  const d = event.data as Record<string, unknown>;
  const agentId =
    (event.type === 'message.sent' && d.authorKind === 'AGENT' && typeof d.authorId === 'string' && d.authorId) ||
    ((event.type === 'conversation.assigned' || event.type === 'ticket.assigned') && typeof d.assigneeId === 'string' && d.assigneeId) ||
    undefined;
  if (agentId) {
    await run(
      `insert into "${schema}"."agent_activity" as a ("tenant_id", "agent_id", "last_at") values (?, ?, ?)
       on conflict ("tenant_id", "agent_id") do update set "last_at" = greatest(a."last_at", excluded."last_at")`,
      [event.tenantId, agentId, event.occurredAt],
    );
  }
  const key = factKey(event);
  if (!key) return true;
  if (key.kind === 'usage') {
    const d = event.data as Record<string, unknown>;
    const u = { id: event.id, at: event.occurredAt, model: String(d.model ?? ''), assistantId: String(d.assistantId ?? ''), tokens: Number(d.inputTokens ?? 0) + Number(d.outputTokens ?? 0), costUsd: Number(d.costUsd ?? 0) };
    await applyContributions(run, schema, event.tenantId, event.id, [], usageContributions(u));
    return true;
  }
  const [row] = await run(`select "state", "contributions" from "${schema}"."fact" where "tenant_id" = ? and "kind" = ? and "entity_id" = ? for update`, [event.tenantId, key.kind, key.id]);
  const parse = <T>(v: unknown, fallback: T): T => (v == null ? fallback : typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));
  const before = parse<Contribution[]>(row?.contributions, []);
  let state: ConversationFact | TicketFact;
  let after: Contribution[];
  let flags: { open: boolean; waiting: boolean; atRisk: boolean };
  if (key.kind === 'conversation') {
    const s = foldConversation(parse<ConversationFact>(row?.state, {}), event);
    state = s;
    after = conversationContributions(s);
    flags = { open: false, waiting: s.status === 'QUEUED', atRisk: false };
  } else {
    let s = foldTicket(parse<TicketFact>(row?.state, {}), event);
    if (event.type === 'ticket.created' && !s.channel && s.conversationId) {
      // A ticket escalated from a conversation counts on that conversation's channel.
      const [conv] = await run(`select "state" ->> 'channel' as "channel" from "${schema}"."fact" where "tenant_id" = ? and "kind" = 'conversation' and "entity_id" = ?`, [event.tenantId, s.conversationId]);
      if (conv?.channel) s = { ...s, channel: conv.channel };
    }
    state = s;
    after = ticketContributions(s);
    const open = !!s.createdAt && !ticketClosedAt(s);
    flags = { open, waiting: false, atRisk: open && !!s.atRiskAt && !s.breachedAt };
  }
  await applyContributions(run, schema, event.tenantId, key.id, before, after);
  await run(
    `insert into "${schema}"."fact" ("tenant_id", "kind", "entity_id", "state", "contributions", "open", "waiting", "at_risk") values (?, ?, ?, ?, ?, ?, ?, ?)
     on conflict ("tenant_id", "kind", "entity_id") do update set "state" = excluded."state", "contributions" = excluded."contributions",
       "open" = excluded."open", "waiting" = excluded."waiting", "at_risk" = excluded."at_risk"`,
    [event.tenantId, key.kind, key.id, JSON.stringify(state), JSON.stringify(after), flags.open, flags.waiting, flags.atRisk],
  );
  return true;
}

/**
 * The analytics consumer group: every domain event analytics knows, applied once in its own
 * transaction; `onApplied` hears the tenant of each event that changed something (liveMetrics).
 */
export function consumeDomainEvents(orm: MikroORM, events: EventConsumer, onApplied: (tenantId: string) => void = () => {}): () => Promise<void> {
  const schema = orm.config.get('schema') as string;
  return events.consume(ROLLUPS_GROUP, FACT_EVENTS, async (event) => {
    const applied = await orm.em.fork().transactional((em) => applyEvent(em as EntityManager, schema, event));
    if (applied) onApplied(event.tenantId);
  });
}

/**
 * Rebuilds every rollup from the recorded events (the analytics event table, which holds
 * every event ever consumed): drops rollups, samples, facts and agent activity, then replays
 * the events in the order they happened, in batches. Folding is order-independent, so the
 * result equals what live consumption built.
 */
export async function rebuildRollups(orm: MikroORM, options: { batch?: number } = {}): Promise<{ events: number }> {
  const schema = orm.config.get('schema') as string;
  const batch = options.batch ?? 500;
  const em = orm.em.fork() as EntityManager;
  const run = runner(em);
  const parts = await run(
    `select c.relname as "name" from pg_inherits i join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent
     join pg_namespace n on n.oid = p.relnamespace where n.nspname = ? and p.relname in ('rollup', 'sample')`,
    [schema],
  );
  for (const p of parts) await run(`drop table "${schema}"."${p.name}"`);
  forgetPartitions(schema);
  await run(`truncate "${schema}"."fact", "${schema}"."agent_activity"`);
  let count = 0;
  let cursor: { at: string; id: string } | undefined;
  for (;;) {
    const rows = await run(
      `select "id", "tenant_id", "type", "occurred_at", "data" from "${schema}"."event"
       ${cursor ? `where ("occurred_at", "id") > (?, ?)` : ''} order by "occurred_at", "id" limit ${batch}`,
      cursor ? [cursor.at, cursor.id] : [],
    );
    if (!rows.length) break;
    await em.transactional(async (tx) => {
      for (const r of rows) {
        const occurredAt = new Date(r.occurred_at).toISOString();
        const data = typeof r.data === 'string' ? JSON.parse(r.data) : r.data;
        await applyEvent(tx as EntityManager, schema, { id: r.id, tenantId: r.tenant_id, type: r.type, occurredAt, data }, { record: false });
      }
    });
    count += rows.length;
    const last = rows[rows.length - 1]!;
    cursor = { at: new Date(last.occurred_at).toISOString(), id: last.id };
  }
  return { events: count };
}
