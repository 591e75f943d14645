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
  contributionKey,
  type Contribution,
  type ConversationFact,
  type TicketFact,
} from './facts';
import { digestOf } from './tdigest';

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

/** Creates the month partitions of `rollup`, `sample` and `sketch` that `buckets` fall into, if missing. */
export async function ensurePartitions(run: Run, schema: string, buckets: Iterable<string>): Promise<void> {
  const known = knownPartitions.get(schema) ?? new Set<string>();
  knownPartitions.set(schema, known);
  for (const b of buckets) {
    const from = monthStart(b);
    const suffix = `${from.getUTCFullYear()}${String(from.getUTCMonth() + 1).padStart(2, '0')}`;
    if (known.has(suffix)) continue;
    const to = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1));
    for (const table of ['rollup', 'sample', 'sketch']) {
      await run(`create table if not exists "${schema}"."${table}_${suffix}" partition of "${schema}"."${table}" for values from ('${from.toISOString()}') to ('${to.toISOString()}')`);
    }
    known.add(suffix);
  }
}

/** Forget the partitions this process created in `schema` (after a rebuild drops them). */
export function forgetPartitions(schema: string): void {
  knownPartitions.delete(schema);
}

const DIM_COLUMNS = DIMENSIONS.map((k) => `"${k}"`).join(', ');
const CELL_COLUMNS = `"tenant_id", "measure", "bucket", ${DIM_COLUMNS}`;

/** Runs `statement` over `rows` in chunks of `size` (PostgreSQL takes at most 65,535 parameters). */
async function chunked<T>(rows: readonly T[], size: number, statement: (chunk: readonly T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += size) await statement(rows.slice(i, i + size));
}

const parse = <T>(v: unknown, fallback: T): T => (v == null ? fallback : typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

interface FactEntry {
  tenantId: string;
  kind: 'conversation' | 'ticket';
  id: string;
  state: ConversationFact | TicketFact;
  /** What the fact contributed before this batch (as stored). */
  before: Contribution[];
  touched: boolean;
}

interface SampleChange {
  tenantId: string;
  entityId: string;
  c: Contribution;
}

const factId = (tenantId: string, kind: string, id: string) => `${tenantId}|${kind}|${id}`;
const cellId = (tenantId: string, c: Contribution) => `${tenantId}|${contributionKey(c)}`;

function agentOf(event: DomainEvent): string | undefined {
  const d = event.data as Record<string, unknown>;
  return (
    (event.type === 'message.sent' && d.authorKind === 'AGENT' && typeof d.authorId === 'string' && d.authorId) ||
    ((event.type === 'conversation.assigned' || event.type === 'ticket.assigned') && typeof d.assigneeId === 'string' && d.assigneeId) ||
    undefined
  );
}

/**
 * Applies a batch of domain events inside the caller's transaction, with a constant number of
 * statements per batch: records them (one insert; the event id is the idempotency guard — a
 * redelivered or replayed event changes nothing, inside a batch or across batches), loads
 * the facts they touch at once (`for update`), folds the events into them in the batch's order
 * in memory, and moves the rollups by the net change: what the touched facts contribute now
 * minus what they contributed before. The sum of those per-fact differences is the same as
 * applying the events one at a time (each step's difference telescopes), so the numbers are
 * exactly those of one transaction per event. Answers the events that were new.
 */
export async function applyEvents(em: EntityManager, schema: string, events: readonly DomainEvent[], options: { record?: boolean } = {}): Promise<DomainEvent[]> {
  const run = runner(em);
  let fresh = [...new Map(events.map((e) => [e.id, e])).values()];
  if (options.record !== false && fresh.length) {
    const inserted = new Set<string>();
    await chunked(fresh, 1_000, async (chunk) => {
      const rows = await run(
        `insert into "${schema}"."event" ("id", "tenant_id", "type", "occurred_at", "data") values ${chunk.map(() => '(?, ?, ?, ?, ?)').join(', ')} on conflict do nothing returning "id"`,
        chunk.flatMap((e) => [e.id, e.tenantId, e.type, e.occurredAt, JSON.stringify(e.data ?? {})]),
      );
      for (const r of rows) inserted.add(r.id);
    });
    fresh = fresh.filter((e) => inserted.has(e.id));
  }
  if (!fresh.length) return [];

  // Agents' last activity (liveMetrics.agentsOnline): the latest per agent, one upsert.
  const activity = new Map<string, { tenantId: string; agentId: string; at: string }>();
  for (const e of fresh) {
    const agentId = agentOf(e);
    if (!agentId) continue;
    const key = `${e.tenantId}|${agentId}`;
    const cur = activity.get(key);
    if (!cur || new Date(e.occurredAt) > new Date(cur.at)) activity.set(key, { tenantId: e.tenantId, agentId, at: e.occurredAt });
  }
  const agents = [...activity.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, v]) => v);
  await chunked(agents, 1_000, (chunk) =>
    run(
      `insert into "${schema}"."agent_activity" as a ("tenant_id", "agent_id", "last_at") values ${chunk.map(() => '(?, ?, ?)').join(', ')}
       on conflict ("tenant_id", "agent_id") do update set "last_at" = greatest(a."last_at", excluded."last_at")`,
      chunk.flatMap((a) => [a.tenantId, a.agentId, a.at]),
    ),
  );

  // The facts the batch touches, and the conversations new tickets take their channel from.
  const wanted = new Map<string, { tenantId: string; kind: string; id: string }>();
  for (const e of fresh) {
    const key = factKey(e);
    if (!key || key.kind === 'usage') continue;
    wanted.set(factId(e.tenantId, key.kind, key.id), { tenantId: e.tenantId, kind: key.kind, id: key.id });
    const conversationId = (e.data as Record<string, unknown>).conversationId;
    if (e.type === 'ticket.created' && typeof conversationId === 'string' && conversationId) {
      wanted.set(factId(e.tenantId, 'conversation', conversationId), { tenantId: e.tenantId, kind: 'conversation', id: conversationId });
    }
  }
  const facts = new Map<string, FactEntry>();
  const keys = [...wanted.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, v]) => v);
  await chunked(keys, 1_000, async (chunk) => {
    const rows = await run(
      `select f."tenant_id", f."kind", f."entity_id", f."state", f."contributions" from "${schema}"."fact" f
       join (values ${chunk.map(() => '(?::uuid, ?, ?)').join(', ')}) as k ("tenant_id", "kind", "entity_id") using ("tenant_id", "kind", "entity_id")
       order by f."tenant_id", f."kind", f."entity_id" for update of f`,
      chunk.flatMap((k) => [k.tenantId, k.kind, k.id]),
    );
    for (const r of rows) {
      facts.set(factId(r.tenant_id, r.kind, r.entity_id), { tenantId: r.tenant_id, kind: r.kind, id: r.entity_id, state: parse(r.state, {}), before: parse(r.contributions, []), touched: false });
    }
  });

  // Fold, in the batch's order, exactly as one event at a time would.
  const net = new Map<string, { tenantId: string; c: Contribution }>();
  const bump = (tenantId: string, c: Contribution, sign: number) => {
    const key = cellId(tenantId, c);
    const cur = net.get(key) ?? { tenantId, c: { ...c, n: 0, v: 0 } };
    cur.c.n += sign * c.n;
    cur.c.v += sign * c.v;
    net.set(key, cur);
  };
  for (const e of fresh) {
    const key = factKey(e);
    if (!key) continue;
    if (key.kind === 'usage') {
      const d = e.data as Record<string, unknown>;
      const u = { id: e.id, at: e.occurredAt, model: String(d.model ?? ''), assistantId: String(d.assistantId ?? ''), tokens: Number(d.inputTokens ?? 0) + Number(d.outputTokens ?? 0), costUsd: Number(d.costUsd ?? 0) };
      for (const c of usageContributions(u)) bump(e.tenantId, c, 1);
      continue;
    }
    const id = factId(e.tenantId, key.kind, key.id);
    let fact = facts.get(id);
    if (!fact) facts.set(id, (fact = { tenantId: e.tenantId, kind: key.kind, id: key.id, state: {}, before: [], touched: false }));
    fact.touched = true;
    if (key.kind === 'conversation') {
      fact.state = foldConversation(fact.state as ConversationFact, e);
    } else {
      let s = foldTicket(fact.state as TicketFact, e);
      if (e.type === 'ticket.created' && !s.channel && s.conversationId) {
        // A ticket escalated from a conversation counts on that conversation's channel.
        const channel = (facts.get(factId(e.tenantId, 'conversation', s.conversationId))?.state as ConversationFact | undefined)?.channel;
        if (channel) s = { ...s, channel };
      }
      fact.state = s;
    }
  }

  // Net changes: counters summed over every touched fact, samples replaced per fact.
  const removeSamples: SampleChange[] = [];
  const addSamples = new Map<string, SampleChange>();
  const rows: { fact: FactEntry; after: Contribution[]; open: boolean; waiting: boolean; atRisk: boolean }[] = [];
  for (const fact of facts.values()) {
    if (!fact.touched) continue;
    let after: Contribution[];
    let flags: { open: boolean; waiting: boolean; atRisk: boolean };
    if (fact.kind === 'conversation') {
      const s = fact.state as ConversationFact;
      after = conversationContributions(s);
      flags = { open: false, waiting: s.status === 'QUEUED', atRisk: false };
    } else {
      const s = fact.state as TicketFact;
      after = ticketContributions(s);
      const open = !!s.createdAt && !ticketClosedAt(s);
      flags = { open, waiting: false, atRisk: open && !!s.atRiskAt && !s.breachedAt };
    }
    const diff = diffContributions(fact.before, after);
    for (const c of diff.counters) bump(fact.tenantId, c, 1);
    for (const c of diff.removeSamples) removeSamples.push({ tenantId: fact.tenantId, entityId: fact.id, c });
    for (const c of diff.addSamples) addSamples.set(`${fact.tenantId}|${c.m}|${c.b}|${fact.id}`, { tenantId: fact.tenantId, entityId: fact.id, c });
    rows.push({ fact, after, ...flags });
  }
  const counters = [...net.entries()]
    .filter(([, { c }]) => c.n !== 0 || Math.abs(c.v) > 1e-12)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, v]) => v);
  const added = [...addSamples.values()];
  await ensurePartitions(run, schema, [...counters.map((x) => x.c.b), ...added.map((x) => x.c.b)]);

  await chunked(counters, 1_000, (chunk) =>
    run(
      `insert into "${schema}"."rollup" as r ("tenant_id", "bucket", "measure", ${DIM_COLUMNS}, "n", "total")
       values ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
       on conflict (${CELL_COLUMNS})
       do update set "n" = r."n" + excluded."n", "total" = r."total" + excluded."total"`,
      chunk.flatMap(({ tenantId, c }) => [tenantId, c.b, c.m, ...DIMENSIONS.map((k) => c.d[k]), c.n, c.v]),
    ),
  );
  await chunked(removeSamples, 2_000, (chunk) =>
    run(
      `delete from "${schema}"."sample" s using (values ${chunk.map(() => '(?::uuid, ?, ?::timestamptz, ?)').join(', ')}) as k ("tenant_id", "measure", "bucket", "entity_id")
       where s."tenant_id" = k."tenant_id" and s."measure" = k."measure" and s."bucket" = k."bucket" and s."entity_id" = k."entity_id"`,
      chunk.flatMap(({ tenantId, entityId, c }) => [tenantId, c.m, c.b, entityId]),
    ),
  );
  await chunked(added, 1_000, (chunk) =>
    run(
      `insert into "${schema}"."sample" ("tenant_id", "bucket", "measure", "entity_id", ${DIM_COLUMNS}, "value")
       values ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
       on conflict ("tenant_id", "measure", "bucket", "entity_id") do update set
         "value" = excluded."value", "channel" = excluded."channel", "agent" = excluded."agent",
         "assistant" = excluded."assistant", "model" = excluded."model", "priority" = excluded."priority"`,
      chunk.flatMap(({ tenantId, entityId, c }) => [tenantId, c.b, c.m, entityId, ...DIMENSIONS.map((k) => c.d[k]), c.v]),
    ),
  );
  await refreshSketches(run, schema, [...removeSamples, ...added]);
  await chunked(rows, 1_000, (chunk) =>
    run(
      `insert into "${schema}"."fact" ("tenant_id", "kind", "entity_id", "state", "contributions", "open", "waiting", "at_risk") values ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
       on conflict ("tenant_id", "kind", "entity_id") do update set "state" = excluded."state", "contributions" = excluded."contributions",
         "open" = excluded."open", "waiting" = excluded."waiting", "at_risk" = excluded."at_risk"`,
      chunk.flatMap(({ fact, after, open, waiting, atRisk }) => [fact.tenantId, fact.kind, fact.id, JSON.stringify(fact.state), JSON.stringify(after), open, waiting, atRisk]),
    ),
  );
  return fresh;
}

/**
 * Rebuilds the t-digest of every cell (tenant, measure, hour, dimensions) whose samples
 * changed, from the samples: a digest cannot forget a value, its samples can.
 */
async function refreshSketches(run: Run, schema: string, changed: readonly SampleChange[]): Promise<void> {
  const cells = new Map<string, { tenantId: string; c: Contribution }>();
  for (const { tenantId, c } of changed) cells.set(cellId(tenantId, c), { tenantId, c });
  const list = [...cells.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, v]) => v);
  await chunked(list, 500, async (chunk) => {
    const cellValues = `(values ${chunk.map(() => '(?::uuid, ?, ?::timestamptz, ?, ?, ?, ?, ?)').join(', ')}) as k (${CELL_COLUMNS})`;
    const params = chunk.flatMap(({ tenantId, c }) => [tenantId, c.m, c.b, ...DIMENSIONS.map((k) => c.d[k])]);
    const bucketList = [...new Set(chunk.map(({ c }) => c.b))];
    const samples = await run(
      `select ${CELL_COLUMNS.split(', ').map((col) => `s.${col}`).join(', ')}, s."value" from "${schema}"."sample" s join ${cellValues} using (${CELL_COLUMNS})
       where s."bucket" in (${bucketList.map(() => '?').join(', ')})`,
      [...params, ...bucketList],
    );
    const values = new Map<string, number[]>();
    for (const r of samples) {
      const key = `${r.tenant_id}|s|${r.measure}|${new Date(r.bucket).toISOString()}|${DIMENSIONS.map((k) => r[k]).join('|')}`;
      const list = values.get(key) ?? [];
      list.push(Number(r.value));
      values.set(key, list);
    }
    await run(`delete from "${schema}"."sketch" s using ${cellValues} where ${CELL_COLUMNS.split(', ').map((col) => `s.${col} = k.${col}`).join(' and ')}`, params);
    const filled = chunk.flatMap(({ tenantId, c }) => {
      const v = values.get(cellId(tenantId, c));
      return v?.length ? [{ tenantId, c, digest: digestOf(v) }] : [];
    });
    if (!filled.length) return;
    await run(
      `insert into "${schema}"."sketch" ("tenant_id", "bucket", "measure", ${DIM_COLUMNS}, "n", "digest") values ${filled.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      filled.flatMap(({ tenantId, c, digest }) => [tenantId, c.b, c.m, ...DIMENSIONS.map((k) => c.d[k]), digest.n, JSON.stringify(digest)]),
    );
  });
}

/** Applies one domain event inside the caller's transaction (`applyEvents` of one); false when it had been applied already. */
export async function applyEvent(em: EntityManager, schema: string, event: DomainEvent, options: { record?: boolean } = {}): Promise<boolean> {
  return (await applyEvents(em, schema, [event], options)).length > 0;
}

/** Events the consumer applies per transaction, at most (what one read from the bus holds). */
export const INGEST_BATCH = 500;

/**
 * The analytics consumer group: every domain event analytics knows, applied in batches of
 * what the bus read at once (up to INGEST_BATCH), one transaction each; a failed batch is
 * applied again one event at a time by the kit. `onApplied` hears the tenant of each event
 * that changed something (liveMetrics).
 */
export function consumeDomainEvents(orm: MikroORM, events: EventConsumer, onApplied: (tenantId: string) => void = () => {}): () => Promise<void> {
  const schema = orm.config.get('schema') as string;
  return events.consumeBatch(
    ROLLUPS_GROUP,
    FACT_EVENTS,
    async (batch) => {
      const applied = await orm.em.fork().transactional((em) => applyEvents(em as EntityManager, schema, batch));
      for (const tenantId of new Set(applied.map((e) => e.tenantId))) onApplied(tenantId);
    },
    { batchSize: INGEST_BATCH },
  );
}

/**
 * Rebuilds every rollup from the recorded events (the analytics event table, which holds
 * every event ever consumed): drops rollups, samples, facts and agent activity, then replays
 * the events in the order they happened, in batches. Folding is order-independent, so the
 * result equals what live consumption built.
 */
export async function rebuildRollups(orm: MikroORM, options: { batch?: number } = {}): Promise<{ events: number }> {
  const schema = orm.config.get('schema') as string;
  const batch = options.batch ?? INGEST_BATCH;
  const em = orm.em.fork() as EntityManager;
  const run = runner(em);
  const parts = await run(
    `select c.relname as "name" from pg_inherits i join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent
     join pg_namespace n on n.oid = p.relnamespace where n.nspname = ? and p.relname in ('rollup', 'sample', 'sketch')`,
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
    const batchEvents: DomainEvent[] = rows.map((r) => ({ id: r.id, tenantId: r.tenant_id, type: r.type, occurredAt: new Date(r.occurred_at).toISOString(), data: parse(r.data, {}) }));
    await em.transactional((tx) => applyEvents(tx as EntityManager, schema, batchEvents, { record: false }));
    count += rows.length;
    const last = rows[rows.length - 1]!;
    cursor = { at: new Date(last.occurred_at).toISOString(), id: last.id };
  }
  return { events: count };
}
