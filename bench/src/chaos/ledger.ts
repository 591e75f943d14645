/**
 * The pure part of `npm run chaos` (bench/src/chaos/run.ts): what the run recorded — every
 * request, every write it made and every event it expects — and how that is judged per
 * fault: failures by `extensions.code`, partial answers, recovery time, events late or
 * never delivered, lost or doubled writes, the goals, and the table at the end.
 */

/** Which part of the run a record belongs to: before any fault, or a fault's window (while it lasts and its recovery period). */
export type Phase = 'during' | 'after';

export interface RequestRecord {
  /** The operation's name in the load mix (e.g. `me`, `sendMessage`, `probe`). */
  op: string;
  kind: 'read' | 'write' | 'model' | 'probe';
  /** The fault whose window it started in; `baseline` before the first. */
  fault: string;
  phase: Phase;
  start: number;
  end: number;
  /** 200, data and no errors. */
  ok: boolean;
  /** Data and errors together (a partial answer). */
  partial: boolean;
  /** `extensions.code` of each error; `HTTP_<status>` or `NETWORK` when there was no GraphQL answer. */
  codes: string[];
}

/** `accepted`: the API said it happened; `refused`: an error answer (it must not have happened); `unknown`: no answer (either is allowed, once). */
export type Outcome = 'accepted' | 'refused' | 'unknown';

export interface WriteRecord {
  /** The mutation, e.g. `sendMessage` (idempotency key, retried), `createTicket` (no key, never retried). */
  kind: string;
  /** What finds it in the database afterwards (the idempotency key, a unique subject). */
  key: string;
  fault: string;
  outcome: Outcome;
  /** When the final answer came (ms since the epoch). */
  at: number;
  /** Attempts it took (retries with the same idempotency key). */
  attempts: number;
}

export interface WriteCheck {
  accepted: number;
  refused: number;
  unknown: number;
  /** Accepted, but not in the database. */
  lost: number;
  /** In the database more than once. */
  doubled: number;
  /** Refused, yet in the database (a write that half-happened or was wrongly reported). */
  phantom: number;
}

/** Every write against what the database holds (`stored`: key → rows found). */
export function checkWrites(records: WriteRecord[], stored: Map<string, number>): WriteCheck {
  const out: WriteCheck = { accepted: 0, refused: 0, unknown: 0, lost: 0, doubled: 0, phantom: 0 };
  for (const r of records) {
    const n = stored.get(r.key) ?? 0;
    out[r.outcome]++;
    if (n > 1) out.doubled++;
    if (r.outcome === 'accepted' && n === 0) out.lost++;
    if (r.outcome === 'refused' && n > 0) out.phantom++;
  }
  return out;
}

export interface EventRecord {
  /** `messageAdded` (sendMessage → the live subscriber), `escalation` (escalateToTicket → a ticket). */
  kind: string;
  key: string;
  fault: string;
  /** When the write that causes it was answered. */
  sentAt: number;
  /** When it arrived; undefined: never. */
  deliveredAt?: number;
  /** How: `live` (the subscription), `catch-up` (the query a client runs when it reconnects), `db` (seen in the database). */
  via?: string;
}

export interface EventCheck {
  expected: number;
  onTime: number;
  /** Arrived after `lateMs`, or only through the reconnect catch-up. */
  late: number;
  never: number;
  /** The longest delay among those that arrived, ms. */
  maxDelayMs: number;
}

export function checkEvents(records: EventRecord[], lateMs: number): EventCheck {
  const out: EventCheck = { expected: records.length, onTime: 0, late: 0, never: 0, maxDelayMs: 0 };
  for (const r of records) {
    if (r.deliveredAt === undefined) {
      out.never++;
      continue;
    }
    const delay = Math.max(0, r.deliveredAt - r.sentAt);
    out.maxDelayMs = Math.max(out.maxDelayMs, delay);
    if (delay > lateMs || r.via === 'catch-up') out.late++;
    else out.onTime++;
  }
  return out;
}

export interface RequestSummary {
  reads: { ok: number; failed: number };
  writes: { ok: number; failed: number };
  model: { ok: number; failed: number };
  /** Failed requests (any kind but the probe) by code, most frequent first. */
  failedByCode: [string, number][];
  partial: number;
}

export function summariseRequests(records: RequestRecord[]): RequestSummary {
  const out: RequestSummary = { reads: { ok: 0, failed: 0 }, writes: { ok: 0, failed: 0 }, model: { ok: 0, failed: 0 }, failedByCode: [], partial: 0 };
  const codes = new Map<string, number>();
  for (const r of records) {
    if (r.partial) out.partial++;
    if (r.kind === 'probe') continue;
    const bucket = r.kind === 'read' ? out.reads : r.kind === 'write' ? out.writes : out.model;
    if (r.ok) bucket.ok++;
    else {
      bucket.failed++;
      for (const c of new Set(r.codes.length ? r.codes : ['UNKNOWN'])) codes.set(c, (codes.get(c) ?? 0) + 1);
    }
  }
  out.failedByCode = [...codes.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return out;
}

/**
 * Recovery: ms from the moment the fault cleared to the end of the first fully successful
 * probe (a query that reaches every subgraph) started after it; undefined if none did.
 */
export function recoveryMs(probes: RequestRecord[], clearedAt: number): number | undefined {
  const first = probes.filter((p) => p.start >= clearedAt && p.ok).sort((a, b) => a.end - b.end)[0];
  return first ? first.end - clearedAt : undefined;
}

/** The probe's answer: which subgraphs' root fields came back with data. */
export interface ProbeAnswer {
  start: number;
  /** Subgraph names whose probe field was non-null. */
  answered: string[];
  /** True when any answer arrived (even all-null data with errors); false: a transport failure. */
  responded: boolean;
}

/**
 * Partial data while a subgraph is down: of the probes answered during the fault, how many
 * carried the data of every surviving subgraph (`all` minus `down`).
 */
export function partialDataCheck(answers: ProbeAnswer[], all: string[], down: string): { probes: number; complete: number; missing: Map<string, number> } {
  const surviving = all.filter((s) => s !== down);
  const missing = new Map<string, number>();
  let complete = 0;
  let probes = 0;
  for (const a of answers) {
    probes++;
    const gaps = surviving.filter((s) => !a.answered.includes(s));
    if (!gaps.length) complete++;
    for (const g of gaps) missing.set(g, (missing.get(g) ?? 0) + 1);
  }
  return { probes, complete, missing };
}

export interface Goal {
  name: string;
  met: boolean;
  detail: string;
}

export interface FaultResult {
  fault: string;
  /** What was done, e.g. "SIGKILL, restarted after 10 s". */
  description: string;
  requests: RequestSummary;
  recoveryMs?: number;
  partialData?: { probes: number; complete: number; missing: Map<string, number> };
  writes: WriteCheck;
  events: EventCheck;
  /** Anything else worth a line (e.g. the restarted process's boot time). */
  notes: string[];
  goals: Goal[];
}

export const GOALS = { recoveryMs: 5_000 };

/** The goals that apply to a fault (the Redis one only to Redis, partial data only to a subgraph being down). */
export function goalsFor(r: Omit<FaultResult, 'goals'>, kind: { redisDown?: boolean; subgraphDown?: string }): Goal[] {
  const goals: Goal[] = [];
  if (kind.redisDown) {
    goals.push({ name: '0 failed reads while Redis is down', met: r.requests.reads.failed === 0, detail: `${r.requests.reads.failed} failed` });
  }
  if (kind.subgraphDown && r.partialData) {
    const p = r.partialData;
    const gaps = [...p.missing.entries()].map(([s, n]) => `${s} missing ${n}x`).join(', ');
    goals.push({ name: 'partial data for every surviving subgraph', met: p.probes > 0 && p.complete === p.probes, detail: `${p.complete}/${p.probes} probes${gaps ? ` (${gaps})` : ''}` });
  }
  goals.push({
    name: `recovery <= ${GOALS.recoveryMs / 1000} s`,
    met: r.recoveryMs !== undefined && r.recoveryMs <= GOALS.recoveryMs,
    detail: r.recoveryMs === undefined ? 'never recovered in its window' : `${(r.recoveryMs / 1000).toFixed(1)} s`,
  });
  goals.push({ name: '0 lost writes', met: r.writes.lost === 0, detail: `${r.writes.lost} lost of ${r.writes.accepted} accepted` });
  goals.push({ name: '0 events never delivered', met: r.events.never === 0, detail: `${r.events.never} never of ${r.events.expected}` });
  return goals;
}

const codesText = (codes: [string, number][]) => (codes.length ? codes.map(([c, n]) => `${c} ${n}`).join(', ') : '–');

/** The markdown table printed at the end (and pasted into the README). */
export function formatTable(results: FaultResult[]): string {
  const head = ['fault', 'reads ok / failed', 'writes ok / failed', 'failed by code', 'partial answers', 'recovery s', 'events late / never', 'writes lost / doubled', 'goals'];
  const rows = results.map((r) => [
    r.fault,
    `${r.requests.reads.ok} / ${r.requests.reads.failed}`,
    `${r.requests.writes.ok} / ${r.requests.writes.failed}`,
    codesText(r.requests.failedByCode),
    String(r.requests.partial),
    r.recoveryMs === undefined ? 'never' : (r.recoveryMs / 1000).toFixed(1),
    `${r.events.late} / ${r.events.never} (of ${r.events.expected})`,
    `${r.writes.lost} / ${r.writes.doubled} (of ${r.writes.accepted})`,
    r.goals.every((g) => g.met) ? 'all met' : `NOT met: ${r.goals.filter((g) => !g.met).map((g) => g.name).join('; ')}`,
  ]);
  const line = (cells: string[]) => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(head), line(head.map((_, i) => (i === 0 || i === 3 || i === 8 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

/** One fault's lines: every goal with met / NOT met. */
export function formatFault(r: FaultResult): string {
  const lines = [
    `${r.fault}: ${r.description}`,
    `  reads ${r.requests.reads.ok} ok / ${r.requests.reads.failed} failed; writes ${r.requests.writes.ok} ok / ${r.requests.writes.failed} failed; model calls ${r.requests.model.ok} ok / ${r.requests.model.failed} failed; failed by code: ${codesText(r.requests.failedByCode)}; partial answers ${r.requests.partial}`,
    `  recovery: ${r.recoveryMs === undefined ? 'none within the window' : `${(r.recoveryMs / 1000).toFixed(2)} s after it cleared`}`,
    `  writes: ${r.writes.accepted} accepted, ${r.writes.refused} refused, ${r.writes.unknown} unanswered; ${r.writes.lost} lost, ${r.writes.doubled} doubled, ${r.writes.phantom} refused-but-stored`,
    `  events: ${r.events.expected} expected, ${r.events.onTime} on time, ${r.events.late} late, ${r.events.never} never (longest delay ${(r.events.maxDelayMs / 1000).toFixed(1)} s)`,
    ...r.notes.map((n) => `  note: ${n}`),
    ...r.goals.map((g) => `  goal ${g.met ? 'met    ' : 'NOT met'}  ${g.name}: ${g.detail}`),
  ];
  return lines.join('\n');
}
