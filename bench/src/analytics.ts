/**
 * npm run bench:analytics: ingests BENCH_ANALYTICS_EVENTS domain events (default 20,000; the
 * issue's full size is 1,000,000: BENCH_ANALYTICS_EVENTS=1000000) for 50 tenants over 90 days through the analytics consumer
 * (the in-process bus, one transaction per event, as in production), then asks `metrics` for
 * a 90-day daily query grouped by CHANNEL (CONVERSATIONS_STARTED, FIRST_RESPONSE_P50_SECONDS,
 * BACKLOG) over HTTP to the subgraph, BENCH_ANALYTICS_QUERIES times (default 200), across
 * tenants. Prints events/s, the query's p50/p95, and its SQL statements for 7 and 90 days
 * (constant). With DATABASE_URL it uses that server; else the embedded PostgreSQL.
 */
import { bootstrap, readAnalyticsConfig } from '@switchboard/analytics';
import { busFor, createLogger, signIdentity, startEmbeddedPostgres, IDENTITY_HEADER, type DomainEvent, type EmbeddedPostgres } from '@switchboard/kit';
import { randomBytes, randomUUID } from 'node:crypto';

const EVENTS = Number(process.env.BENCH_ANALYTICS_EVENTS ?? 20_000);
const QUERIES = Number(process.env.BENCH_ANALYTICS_QUERIES ?? 200);
const TENANTS = 50;
const DAYS = 90;
const CHANNELS = ['WEB', 'WHATSAPP', 'EMAIL', 'SMS', 'SLACK'];
const log = (msg: string) => process.stderr.write(`${msg}\n`);

/** Deterministic pseudo-random numbers, so runs compare. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** Conversations (6 events each) and tickets (2 each) spread over the last 90 days. */
function* events(tenants: string[], total: number, end: Date): Generator<DomainEvent> {
  const rand = rng(42);
  const start = end.getTime() - DAYS * 86_400_000;
  let n = 0;
  const e = (tenantId: string, type: string, at: number, data: Record<string, unknown>): DomainEvent => ({ id: randomUUID(), type, tenantId, occurredAt: new Date(at).toISOString(), data });
  while (n < total) {
    const tenantId = tenants[Math.floor(rand() * tenants.length)]!;
    const at = start + Math.floor(rand() * (DAYS * 86_400_000 - 7_200_000));
    if (rand() < 0.75) {
      const id = randomUUID();
      const channel = CHANNELS[Math.floor(rand() * CHANNELS.length)]!;
      const batch = [
        e(tenantId, 'conversation.started', at, { id, channel, status: 'BOT', priority: 'NORMAL', assigneeId: null }),
        e(tenantId, 'message.sent', at + 20_000, { conversationId: id, authorKind: 'BOT', createdAt: new Date(at + 20_000).toISOString() }),
        e(tenantId, 'ai.usage', at + 21_000, { conversationId: id, model: 'local-small', inputTokens: 300, outputTokens: 80, costUsd: 0.0004 }),
        e(tenantId, 'conversation.updated', at + 600_000, { id, changes: { status: { from: 'BOT', to: 'RESOLVED' } } }),
        e(tenantId, 'conversation.resolved', at + 600_000, { id }),
        e(tenantId, 'conversation.rated', at + 700_000, { id, score: 1 + Math.floor(rand() * 5) }),
      ];
      for (const ev of batch) if (n++ < total) yield ev;
    } else {
      const id = randomUUID();
      const batch = [
        e(tenantId, 'ticket.created', at, { id, priority: 'HIGH', resolutionDueAt: new Date(at + 4 * 3_600_000).toISOString() }),
        e(tenantId, 'ticket.status_changed', at + Math.floor(rand() * 8 * 3_600_000), { id, from: 'OPEN', to: 'RESOLVED' }),
      ];
      for (const ev of batch) if (n++ < total) yield ev;
    }
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

async function main() {
  let embedded: EmbeddedPostgres | undefined;
  const databaseUrl = process.env.DATABASE_URL ?? (embedded = await startEmbeddedPostgres()).url;
  const prefix = `bench${randomBytes(3).toString('hex')}_`;
  const secret = randomBytes(24).toString('hex');
  log(`database: ${embedded ? 'embedded PGlite' : databaseUrl}; ${EVENTS.toLocaleString('en')} events, ${TENANTS} tenants, ${DAYS} days`);
  const bus = busFor(undefined, 'bench-analytics');
  const config = readAnalyticsConfig({ INTERNAL_SECRET: secret, JWT_SECRET: randomBytes(24).toString('hex'), HOST: '127.0.0.1', DB_SCHEMA_PREFIX: prefix, LOG_LEVEL: 'error', ANALYTICS_PORT: '0', ANALYTICS_LIVE_INTERVAL_MS: '3600000' }); // no live ticks: statement counts are the query's own
  const app = await bootstrap({ ...config, DATABASE_URL: databaseUrl }, { bus, logger: createLogger({}, 'error') });
  const schema = app.orm.config.get('schema') as string;
  const conn = app.orm.em.fork().getConnection();
  const count = async () => Number((await conn.execute(`select count(*)::int as n from "${schema}"."event"`))[0].n);
  const tenants = Array.from({ length: TENANTS }, () => randomUUID());
  const end = new Date();
  const statements = async () => {
    const text = await (await fetch(app.url.replace('/graphql', '/metrics'))).text();
    const line = text.split('\n').find((l) => l.startsWith('db_statements_total'));
    return line ? Number(line.split(' ').at(-1)) : NaN;
  };
  try {
    const sqlBefore = await statements();
    const t0 = Date.now();
    let batch: DomainEvent[] = [];
    let published = 0;
    for (const ev of events(tenants, EVENTS, end)) {
      batch.push(ev);
      if (batch.length === 1000) {
        await bus.publish(batch);
        published += batch.length;
        batch = [];
        // Keep the in-process backlog bounded: wait while more than 5,000 are unapplied.
        while (published - (await count()) > 5_000) await new Promise((r) => setTimeout(r, 50));
      }
    }
    if (batch.length) await bus.publish(batch);
    while ((await count()) < EVENTS) await new Promise((r) => setTimeout(r, 50));
    const seconds = (Date.now() - t0) / 1000;
    const sqlIngest = (await statements()) - sqlBefore;
    const rollups = Number((await conn.execute(`select count(*)::int as n from "${schema}"."rollup"`))[0].n);
    const partitions = Number((await conn.execute(`select count(*)::int as n from pg_inherits i join pg_class p on p.oid = i.inhparent join pg_namespace s on s.oid = p.relnamespace where s.nspname = ? and p.relname = 'rollup'`, [schema]))[0].n);

    const query = (days: number) => ({
      query: `query($input: MetricsInput!) { metrics(input: $input) { at measure value channel } }`,
      variables: { input: { from: new Date(end.getTime() - days * 86_400_000).toISOString(), to: end.toISOString(), interval: 'DAY', measures: ['CONVERSATIONS_STARTED', 'FIRST_RESPONSE_P50_SECONDS', 'BACKLOG'], groupBy: ['CHANNEL'] } },
    });
    const ask = async (tenantId: string, days: number) => {
      const header = signIdentity({ kind: 'user', tenantId, userId: randomUUID(), roles: ['ANALYST'], scopes: [], audience: 'analytics' }, secret, 60);
      const res = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: header }, body: JSON.stringify(query(days)) });
      const json = (await res.json()) as { data?: { metrics: unknown[] }; errors?: unknown };
      if (!json.data) throw new Error(`metrics failed: ${JSON.stringify(json.errors)}`);
      return json.data.metrics.length;
    };
    const perQuery = async (days: number) => {
      const before = await statements();
      await ask(tenants[0]!, days);
      return (await statements()) - before;
    };
    await ask(tenants[0]!, DAYS); // warm up
    const sql7 = await perQuery(7);
    const sql90 = await perQuery(DAYS);
    const times: number[] = [];
    let points = 0;
    for (let i = 0; i < QUERIES; i++) {
      const t = performance.now();
      points += await ask(tenants[i % TENANTS]!, DAYS);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    process.stdout.write(
      [
        `analytics ingest: ${EVENTS.toLocaleString('en')} events (${TENANTS} tenants, ${DAYS} days) in ${seconds.toFixed(1)} s = ${Math.round(EVENTS / seconds).toLocaleString('en')} events/s; ${rollups.toLocaleString('en')} rollup rows in ${partitions} month partitions; ${(sqlIngest / EVENTS).toFixed(1)} SQL statements per event (the wait loop's counts included)`,
        `metrics, ${DAYS} days daily, groupBy CHANNEL, 3 measures (${Math.round(points / QUERIES)} points): p50 ${percentile(times, 0.5).toFixed(1)} ms, p95 ${percentile(times, 0.95).toFixed(1)} ms over ${QUERIES} queries`,
        `SQL statements per metrics query: ${sql7} for 7 days, ${sql90} for ${DAYS} days`,
        '',
      ].join('\n'),
    );
  } finally {
    await app.close();
    await bus.close();
    if (!embedded) {
      const { Client } = await import('pg');
      const client = new Client({ connectionString: databaseUrl });
      await client.connect();
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
    }
    await embedded?.stop();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});
