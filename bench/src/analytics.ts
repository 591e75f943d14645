/**
 * npm run bench:analytics: ingests BENCH_ANALYTICS_EVENTS domain events (default 1,000,000,
 * the size) for 50 tenants over 90 days through the analytics consumer (the
 * in-process bus; the consumer applies what it read at once, up to 500 events, per
 * transaction, as in production), then asks `metrics` for a 7-day and a 90-day daily query
 * grouped by CHANNEL (CONVERSATIONS_STARTED, FIRST_RESPONSE_P50_SECONDS, BACKLOG) over HTTP to
 * the subgraph, BENCH_ANALYTICS_QUERIES times each (default 200), across tenants: once with
 * exact percentiles and once from the t-digests (ANALYTICS_EXACT_PERCENTILE_MAX_SAMPLES 0).
 * Prints events/s, each query's p50/p95, how far the sketched percentiles are from the exact
 * ones, and the SQL statements per query for 7 and 90 days (constant). With DATABASE_URL it
 * uses that server; else the embedded PostgreSQL.
 */
import { bootstrap, readAnalyticsConfig } from '@switchboard/analytics';
import { busFor, createLogger, signIdentity, startEmbeddedPostgres, IDENTITY_HEADER, type DomainEvent, type EmbeddedPostgres } from '@switchboard/kit';
import { randomBytes, randomUUID } from 'node:crypto';

const EVENTS = Number(process.env.BENCH_ANALYTICS_EVENTS ?? 1_000_000);
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
      const firstResponse = Math.round(1000 * (5 + Math.exp(rand() * 6)));
      const batch = [
        e(tenantId, 'conversation.started', at, { id, channel, status: 'BOT', priority: 'NORMAL', assigneeId: null }),
        // First responses from 6 s to about 7 minutes, skewed to the fast end (log-uniform).
        e(tenantId, 'message.sent', at + firstResponse, { conversationId: id, authorKind: 'BOT', createdAt: new Date(at + firstResponse).toISOString() }),
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
  // Exact percentiles first (no threshold), then from the sketches: the resolver reads this object per query.
  const appConfig = { ...config, DATABASE_URL: databaseUrl, ANALYTICS_EXACT_PERCENTILE_MAX_SAMPLES: Number.MAX_SAFE_INTEGER };
  const app = await bootstrap(appConfig, { bus, logger: createLogger({}, 'error') });
  const schema = app.orm.config.get('schema') as string;
  const conn = app.orm.em.fork().getConnection();
  const count = async () => Number((await conn.execute(`select count(*)::int as n from "${schema}"."event"`))[0].n);
  /** The in-process bus delivers in order: once an event is recorded, every event published before it is. */
  const recorded = async (id: string) => (await conn.execute(`select 1 from "${schema}"."event" where "id" = ?`, [id])).length > 0;
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
    const lastOfChunk: string[] = [];
    let lastReport = Date.now();
    let published = 0;
    for (const ev of events(tenants, EVENTS, end)) {
      batch.push(ev);
      if (batch.length === 1000) {
        await bus.publish(batch);
        published += batch.length;
        lastOfChunk.push(batch[batch.length - 1]!.id);
        batch = [];
        // Keep the in-process backlog bounded: at most 5 chunks (5,000 events) unapplied.
        if (lastOfChunk.length > 5) {
          const id = lastOfChunk.shift()!;
          while (!(await recorded(id))) await new Promise((r) => setTimeout(r, 20));
        }
        if (Date.now() - lastReport > 10_000) {
          lastReport = Date.now();
          log(`  ${published.toLocaleString('en')} published, ${Math.round((published - 5_000) / ((Date.now() - t0) / 1000))} events/s so far`);
        }
      }
    }
    if (batch.length) await bus.publish(batch);
    const last = batch.at(-1)?.id ?? lastOfChunk.at(-1)!;
    while (!(await recorded(last))) await new Promise((r) => setTimeout(r, 20));
    const seconds = (Date.now() - t0) / 1000;
    if ((await count()) !== EVENTS) throw new Error(`recorded ${await count()} events of ${EVENTS}`);
    const sqlIngest = (await statements()) - sqlBefore;
    const rollups = Number((await conn.execute(`select count(*)::int as n from "${schema}"."rollup"`))[0].n);
    const partitions = Number((await conn.execute(`select count(*)::int as n from pg_inherits i join pg_class p on p.oid = i.inhparent join pg_namespace s on s.oid = p.relnamespace where s.nspname = ? and p.relname = 'rollup'`, [schema]))[0].n);

    const query = (days: number, interval: string) => ({
      query: `query($input: MetricsInput!) { metrics(input: $input) { at measure value channel } }`,
      variables: { input: { from: new Date(end.getTime() - days * 86_400_000).toISOString(), to: end.toISOString(), interval, measures: ['CONVERSATIONS_STARTED', 'FIRST_RESPONSE_P50_SECONDS', 'BACKLOG'], groupBy: ['CHANNEL'] } },
    });
    const ask = async (tenantId: string, days: number, interval = 'DAY') => {
      const header = signIdentity({ kind: 'user', tenantId, userId: randomUUID(), roles: ['ANALYST'], scopes: [], audience: 'analytics' }, secret, 60);
      const res = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: header }, body: JSON.stringify(query(days, interval)) });
      const json = (await res.json()) as { data?: { metrics: { at: string; measure: string; value: number; channel: string | null }[] }; errors?: unknown };
      if (!json.data) throw new Error(`metrics failed: ${JSON.stringify(json.errors)}`);
      return json.data.metrics;
    };
    /** Statements one query ran: the fewest over five (the outbox relay's and redrive's timers count in the same counter). */
    const perQuery = async (days: number) => {
      let fewest = Infinity;
      for (let i = 0; i < 5; i++) {
        const before = await statements();
        await ask(tenants[0]!, days);
        fewest = Math.min(fewest, (await statements()) - before);
      }
      return fewest;
    };
    const series = async (days: number) => {
      const times: number[] = [];
      let points = 0;
      for (let i = 0; i < QUERIES; i++) {
        const t = performance.now();
        points += (await ask(tenants[i % TENANTS]!, days)).length;
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      return `${days} days: p50 ${percentile(times, 0.5).toFixed(1)} ms, p95 ${percentile(times, 0.95).toFixed(1)} ms (${Math.round(points / QUERIES)} points)`;
    };
    const samples = Number((await conn.execute(`select count(*)::int as n from "${schema}"."sample" where "tenant_id" = ? and "measure" = 'FIRST_RESPONSE'`, [tenants[0]]))[0].n);
    await ask(tenants[0]!, DAYS); // warm up
    const sql7 = await perQuery(7);
    const sql90 = await perQuery(DAYS);
    const exactSeries = [await series(7), await series(DAYS)];
    const answers = async (interval: string) => {
      const out: Map<string, number>[] = [];
      for (const t of tenants) out.push(new Map((await ask(t, DAYS, interval)).filter((p) => p.measure === 'FIRST_RESPONSE_P50_SECONDS').map((p) => [`${p.at}|${p.channel}`, p.value])));
      return out;
    };
    const exactDaily = await answers('DAY');
    const exactMonthly = await answers('MONTH');
    appConfig.ANALYTICS_EXACT_PERCENTILE_MAX_SAMPLES = 0;
    const sketchSql90 = await perQuery(DAYS);
    const sketchSeries = [await series(7), await series(DAYS)];
    /** How far the sketched FIRST_RESPONSE_P50 is from the exact one, over every tenant's 90 days × channels. */
    const difference = (exact: Map<string, number>[], sketched: Map<string, number>[]) => {
      let worst = 0;
      let sum = 0;
      let n = 0;
      exact.forEach((points, i) => {
        for (const [key, e] of points) {
          const rel = Math.abs(sketched[i]!.get(key)! - e) / Math.max(Math.abs(e), 1e-9);
          worst = Math.max(worst, rel);
          sum += rel;
          n++;
        }
      });
      return `${n.toLocaleString('en')} points: mean ${(100 * (sum / n)).toFixed(3)} %, worst ${(100 * worst).toFixed(3)} %`;
    };
    const dailyDifference = difference(exactDaily, await answers('DAY'));
    const monthlyDifference = difference(exactMonthly, await answers('MONTH'));
    process.stdout.write(
      [
        `analytics ingest: ${EVENTS.toLocaleString('en')} events (${TENANTS} tenants, ${DAYS} days) in ${seconds.toFixed(1)} s = ${Math.round(EVENTS / seconds).toLocaleString('en')} events/s; ${rollups.toLocaleString('en')} rollup rows in ${partitions} month partitions; ${(sqlIngest / EVENTS).toFixed(2)} SQL statements per event (the wait loop's included)`,
        `metrics, daily, groupBy CHANNEL, 3 measures, ${QUERIES} queries each, percentiles exact (about ${samples.toLocaleString('en')} samples per tenant): ${exactSeries.join('; ')}`,
        `  the same from the hourly t-digests: ${sketchSeries.join('; ')}`,
        `  sketched vs exact FIRST_RESPONSE_P50, relative difference: daily ${dailyDifference}; monthly ${monthlyDifference}`,
        `SQL statements per metrics query: ${sql7} for 7 days, ${sql90} for ${DAYS} days (exact), ${sketchSql90} for ${DAYS} days (sketched)`,
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
