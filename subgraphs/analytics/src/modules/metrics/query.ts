import type { EntityManager } from '@mikro-orm/postgresql';
import { DIMENSIONS, type StoredMeasure } from './facts';
import { mergeDigests, quantile, type Digest } from './tdigest';

export const MEASURES = [
  'CONVERSATIONS_STARTED',
  'CONVERSATIONS_RESOLVED',
  'FIRST_RESPONSE_P50_SECONDS',
  'FIRST_RESPONSE_P90_SECONDS',
  'RESOLUTION_P50_SECONDS',
  'TICKETS_CREATED',
  'TICKETS_RESOLVED',
  'SLA_COMPLIANCE',
  'SLA_BREACHES',
  'BACKLOG',
  'CSAT',
  'BOT_CONTAINMENT',
  'HANDOFF_RATE',
  'AI_TOKENS',
  'AI_COST_USD',
  'COST_PER_RESOLVED_CONVERSATION',
] as const;
export type MeasureName = (typeof MEASURES)[number];

export const INTERVALS = ['HOUR', 'DAY', 'WEEK', 'MONTH'] as const;
export type IntervalName = (typeof INTERVALS)[number];

export type DimensionName = 'CHANNEL' | 'AGENT' | 'ASSISTANT' | 'MODEL' | 'PRIORITY';
const COLUMN: Record<DimensionName, (typeof DIMENSIONS)[number]> = { CHANNEL: 'channel', AGENT: 'agent', ASSISTANT: 'assistant', MODEL: 'model', PRIORITY: 'priority' };

type Stat = 'n' | 'total' | 'p50' | 'p90' | 'backlog';
type Term = [StoredMeasure, Stat];

/**
 * Every measure as stored quantities: a value, or a ratio of two (no point when the
 * denominator is 0). The exact definitions are in docs/api.md.
 */
const DEFINITIONS: Record<MeasureName, { num: Term; den?: Term }> = {
  CONVERSATIONS_STARTED: { num: ['CONVERSATIONS_STARTED', 'n'] },
  CONVERSATIONS_RESOLVED: { num: ['CONVERSATIONS_RESOLVED', 'n'] },
  FIRST_RESPONSE_P50_SECONDS: { num: ['FIRST_RESPONSE', 'p50'] },
  FIRST_RESPONSE_P90_SECONDS: { num: ['FIRST_RESPONSE', 'p90'] },
  RESOLUTION_P50_SECONDS: { num: ['RESOLUTION', 'p50'] },
  TICKETS_CREATED: { num: ['TICKETS_CREATED', 'n'] },
  TICKETS_RESOLVED: { num: ['TICKETS_RESOLVED', 'n'] },
  SLA_COMPLIANCE: { num: ['SLA_MET', 'n'], den: ['TICKETS_RESOLVED', 'n'] },
  SLA_BREACHES: { num: ['SLA_BREACHES', 'n'] },
  BACKLOG: { num: ['BACKLOG', 'backlog'] },
  CSAT: { num: ['CSAT', 'total'], den: ['CSAT', 'n'] },
  BOT_CONTAINMENT: { num: ['BOT_CONTAINED', 'n'], den: ['CONVERSATIONS_RESOLVED', 'n'] },
  HANDOFF_RATE: { num: ['HANDOFFS', 'n'], den: ['CONVERSATIONS_STARTED', 'n'] },
  AI_TOKENS: { num: ['AI_TOKENS', 'total'] },
  AI_COST_USD: { num: ['AI_COST_USD', 'total'] },
  COST_PER_RESOLVED_CONVERSATION: { num: ['AI_COST_USD', 'total'], den: ['CONVERSATIONS_RESOLVED', 'n'] },
};

export interface MetricsQuery {
  tenantId: string;
  from: Date;
  to: Date;
  interval: IntervalName;
  measures: MeasureName[];
  groupBy: DimensionName[];
  filter: Partial<Record<DimensionName, string[]>>;
  /**
   * Percentiles of a measure are exact (`percentile_cont` over the samples) while the range,
   * after the filter, holds at most this many of its samples; above, they come from merging
   * the hourly t-digests (ANALYTICS_EXACT_PERCENTILE_MAX_SAMPLES; default: always exact).
   */
  exactMaxSamples?: number;
}

export interface Point {
  at: Date;
  measure: MeasureName;
  value: number;
  channel: string | null;
  agent: string | null;
  assistant: string | null;
  model: string | null;
  priority: string | null;
}

/** The start of the bucket `d` falls in (UTC; weeks start on Monday, as PostgreSQL's date_trunc). */
export function bucketStart(d: Date, interval: IntervalName): Date {
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const day = d.getUTCDate();
  switch (interval) {
    case 'HOUR':
      return new Date(Date.UTC(y, m, day, d.getUTCHours()));
    case 'DAY':
      return new Date(Date.UTC(y, m, day));
    case 'WEEK':
      return new Date(Date.UTC(y, m, day - ((d.getUTCDay() + 6) % 7)));
    case 'MONTH':
      return new Date(Date.UTC(y, m, 1));
  }
}

export function nextBucket(d: Date, interval: IntervalName): Date {
  switch (interval) {
    case 'HOUR':
      return new Date(d.getTime() + 3_600_000);
    case 'DAY':
      return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1));
    case 'WEEK':
      return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 7));
    case 'MONTH':
      return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
  }
}

/** The buckets of [from, to): from rounded down to its bucket's start. */
export function buckets(from: Date, to: Date, interval: IntervalName, max = Infinity): Date[] {
  const out: Date[] = [];
  for (let b = bucketStart(from, interval); b < to; b = nextBucket(b, interval)) {
    out.push(b);
    if (out.length > max) break;
  }
  return out;
}

/**
 * Answers a metrics query with at most four statements whatever the range: one over the
 * counters, one over the hourly t-digests of the percentile samples and, for the measures
 * small enough to be exact, one over the samples themselves; one for the backlog (its level
 * before the range and its changes inside it). Points are flat rows: bucket × measure × group.
 */
export async function queryMetrics(em: EntityManager, schema: string, q: MetricsQuery): Promise<Point[]> {
  const conn = em.getConnection();
  const run = (sql: string, params: unknown[]) => conn.execute(sql, params, 'all') as Promise<any[]>;
  const series = buckets(q.from, q.to, q.interval);
  if (!series.length) return [];
  const start = series[0]!;
  const cols = q.groupBy.map((g) => COLUMN[g]);
  const colSql = cols.map((c) => `, "${c}"`).join('');
  const trunc = `date_trunc('${q.interval.toLowerCase()}', "bucket", 'UTC')`;
  const filterSql: string[] = [];
  const filterParams: unknown[] = [];
  for (const [dim, values] of Object.entries(q.filter) as [DimensionName, string[]][]) {
    if (!values?.length) continue;
    filterSql.push(` and "${COLUMN[dim]}" in (${values.map(() => '?').join(', ')})`);
    filterParams.push(...values);
  }
  const filters = filterSql.join('');
  const terms = q.measures.flatMap((m) => [DEFINITIONS[m].num, DEFINITIONS[m].den].filter((t): t is Term => !!t));
  const counterMeasures = [...new Set(terms.filter(([, s]) => s === 'n' || s === 'total').map(([m]) => m))];
  const sampleMeasures = [...new Set(terms.filter(([, s]) => s === 'p50' || s === 'p90').map(([m]) => m))];
  const wantBacklog = terms.some(([, s]) => s === 'backlog');

  /** (bucket ISO | group key) → "MEASURE.stat" → value */
  const cells = new Map<string, { at: Date; group: string[]; values: Map<string, number> }>();
  const cell = (at: Date, group: string[]) => {
    const key = `${at.toISOString()}|${group.join('|')}`;
    let c = cells.get(key);
    if (!c) cells.set(key, (c = { at, group, values: new Map() }));
    return c;
  };
  const groupOf = (row: any) => cols.map((c) => String(row[c] ?? ''));
  const list = (xs: string[]) => xs.map(() => '?').join(', ');

  const statements: Promise<void>[] = [];
  if (counterMeasures.length) {
    statements.push(
      run(
        `select ${trunc} as "at", "measure"${colSql}, sum("n")::float8 as "n", sum("total")::float8 as "total"
         from "${schema}"."rollup" where "tenant_id" = ? and "measure" in (${list(counterMeasures)}) and "bucket" >= ? and "bucket" < ?${filters}
         group by 1, 2${cols.map((_, i) => `, ${i + 3}`).join('')}
         having sum("n") <> 0 or sum("total") <> 0`,
        [q.tenantId, ...counterMeasures, start.toISOString(), q.to.toISOString(), ...filterParams],
      ).then((rows) => {
        for (const r of rows) {
          const values = cell(new Date(r.at), groupOf(r)).values;
          values.set(`${r.measure}.n`, Number(r.n));
          values.set(`${r.measure}.total`, Number(r.total));
        }
      }),
    );
  }
  if (sampleMeasures.length) {
    statements.push(
      (async () => {
        // The cells' digests first: their counts say which measures are small enough to be exact.
        const sketches = await run(
          `select ${trunc} as "at", "measure"${colSql}, "n"::float8 as "n", "digest"
           from "${schema}"."sketch" where "tenant_id" = ? and "measure" in (${list(sampleMeasures)}) and "bucket" >= ? and "bucket" < ?${filters}`,
          [q.tenantId, ...sampleMeasures, start.toISOString(), q.to.toISOString(), ...filterParams],
        );
        const totals = new Map<string, number>();
        for (const r of sketches) totals.set(r.measure, (totals.get(r.measure) ?? 0) + Number(r.n));
        const limit = q.exactMaxSamples ?? Infinity;
        const exact = sampleMeasures.filter((m) => (totals.get(m) ?? 0) > 0 && (totals.get(m) ?? 0) <= limit);
        const merged = new Map<string, { at: Date; group: string[]; measure: string; digests: Digest[] }>();
        for (const r of sketches) {
          if ((totals.get(r.measure) ?? 0) <= limit) continue;
          const group = groupOf(r);
          const at = new Date(r.at);
          const key = `${at.toISOString()}|${r.measure}|${group.join('|')}`;
          const m = merged.get(key) ?? { at, group, measure: r.measure, digests: [] as Digest[] };
          m.digests.push(typeof r.digest === 'string' ? JSON.parse(r.digest) : r.digest);
          merged.set(key, m);
        }
        for (const m of merged.values()) {
          const digest = mergeDigests(m.digests);
          const values = cell(m.at, m.group).values;
          values.set(`${m.measure}.p50`, quantile(digest, 0.5));
          values.set(`${m.measure}.p90`, quantile(digest, 0.9));
        }
        if (!exact.length) return;
        const rows = await run(
          `select ${trunc} as "at", "measure"${colSql},
             percentile_cont(0.5) within group (order by "value") as "p50", percentile_cont(0.9) within group (order by "value") as "p90"
           from "${schema}"."sample" where "tenant_id" = ? and "measure" in (${list(exact)}) and "bucket" >= ? and "bucket" < ?${filters}
           group by 1, 2${cols.map((_, i) => `, ${i + 3}`).join('')}`,
          [q.tenantId, ...exact, start.toISOString(), q.to.toISOString(), ...filterParams],
        );
        for (const r of rows) {
          const values = cell(new Date(r.at), groupOf(r)).values;
          values.set(`${r.measure}.p50`, Number(r.p50));
          values.set(`${r.measure}.p90`, Number(r.p90));
        }
      })(),
    );
  }
  if (wantBacklog) {
    statements.push(
      run(
        `select case when "bucket" < ? then null else ${trunc} end as "at"${colSql}, sum("n")::float8 as "n"
         from "${schema}"."rollup" where "tenant_id" = ? and "measure" = 'BACKLOG' and "bucket" < ?${filters}
         group by 1${cols.map((_, i) => `, ${i + 2}`).join('')}`,
        [start.toISOString(), q.tenantId, q.to.toISOString(), ...filterParams],
      ).then((rows) => {
        // Running sum per group over every bucket of the range: the level at each bucket's end.
        const groups = new Map<string, { group: string[]; before: number; deltas: Map<string, number> }>();
        for (const r of rows) {
          const group = groupOf(r);
          const key = group.join('|');
          const g = groups.get(key) ?? { group, before: 0, deltas: new Map() };
          groups.set(key, g);
          if (r.at == null) g.before += Number(r.n);
          else g.deltas.set(new Date(r.at).toISOString(), Number(r.n));
        }
        if (!groups.size && !cols.length) groups.set('', { group: [], before: 0, deltas: new Map() });
        for (const g of groups.values()) {
          let level = g.before;
          const points: [Date, number][] = [];
          for (const b of series) {
            level += g.deltas.get(b.toISOString()) ?? 0;
            points.push([b, level]);
          }
          // A group that was never open in the range (all zeros) is left out, like an empty counter.
          if (cols.length && points.every(([, v]) => v === 0)) continue;
          for (const [b, v] of points) cell(b, g.group).values.set('BACKLOG.backlog', v);
        }
      }),
    );
  }
  await Promise.all(statements);

  const points: Point[] = [];
  const sorted = [...cells.values()].sort((a, b) => a.at.getTime() - b.at.getTime() || a.group.join('|').localeCompare(b.group.join('|')));
  for (const c of sorted) {
    for (const measure of q.measures) {
      const def = DEFINITIONS[measure];
      const num = c.values.get(`${def.num[0]}.${def.num[1]}`);
      if (num === undefined) continue;
      let value = num;
      if (def.den) {
        const den = c.values.get(`${def.den[0]}.${def.den[1]}`);
        if (!den) continue;
        value = num / den;
      }
      const dims: Record<string, string | null> = { channel: null, agent: null, assistant: null, model: null, priority: null };
      cols.forEach((col, i) => (dims[col] = c.group[i] || null));
      points.push({ at: c.at, measure, value, ...(dims as Pick<Point, 'channel' | 'agent' | 'assistant' | 'model' | 'priority'>) });
    }
  }
  return points;
}
