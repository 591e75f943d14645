/**
 * npm run bench: the tickets list, one ticket and the status counts through our gateway,
 * Hive Gateway with its Rust planner, the tickets subgraph called directly and — the
 * physical limit — the subgraph fetches the query plan makes, sent directly one after the
 * other (with BENCH_FULL=1 also a stock @apollo/gateway, Hive Gateway with its JS planner
 * and our gateway without the Redis L2). Same supergraph, same subgraphs, same data (5,000
 * tickets, 50 agents). The load comes from the 50 agents in turn, each with its own JWT;
 * the other gateways and the direct calls get that agent's identity header, signed for
 * each request and audience, as our gateway would forward it. Targets alternate over
 * BENCH_ROUNDS rounds and the medians are reported, so the machine's drift does not pick
 * the ratio; then one line per goal, and the SVG chart (BENCH_CHART, docs/bench/gateway.svg).
 *
 * BENCH_SECONDS (5) and BENCH_CONNECTIONS (10) shape each run, BENCH_ROUNDS (5) the rounds;
 * BENCH_QUICK=1 (or `-- --quick`): 3 s runs, 3 rounds; BENCH_CASES=a,b: only those cases. BENCH_CPU_PROF=<dir>: the gateway runs
 * with `node --cpu-prof` and writes its profile there when it stops. BENCH_BASELINE=<checkout>:
 * that checkout's gateway is measured too, alternating, as "(baseline)". BENCH_TIMELINE=1: our
 * gateway runs with bench/src/timeline.cjs preloaded, and where its wall time goes at one
 * connection (edge, Apollo Server, plan execution, each fetch, the response) is printed
 * after the one-connection table. With DATABASE_URL /
 * REDIS_URL it uses those servers; else the embedded PostgreSQL, without L2.
 */
import { busFor, createLogger, signJwt, startEmbeddedPostgres, IDENTITY_HEADER, type EmbeddedPostgres, type Identity } from '@switchboard/kit';
import { seedDemo } from '@switchboard/tenants';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { chartSvg, type ChartRow } from './chart';
import { planFetches, startHive, supergraphFor } from './gateways';
import { check, headersOf, type Callers, type Measurement, type Step } from './measure';
import { cpuSeconds, cpuTimes, freePort, measureInWorker, startService } from './processes';
import { seedBench } from './seed';
import { benchSubgraphs, bootInProcess, startProcesses } from './subgraphs';

const QUICK = process.env.BENCH_QUICK === '1' || process.argv.includes('--quick');
const FULL = process.env.BENCH_FULL === '1' || process.argv.includes('--full');
const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 3 : 5));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 3 : 5));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const LOW_SECONDS = Math.max(2, Math.round(SECONDS / 2));
const IDLE_SECONDS = QUICK ? 5 : 10;
const CPU_PROF = process.env.BENCH_CPU_PROF;
const TIMELINE = process.env.BENCH_TIMELINE === '1';
/** Another checkout of this repository (node_modules included): its gateway runs beside ours as "(baseline)", for before → after. */
const BASELINE = process.env.BENCH_BASELINE;
const ROOT = path.resolve(__dirname, '../..');
const CHART = process.env.BENCH_CHART ?? path.join(ROOT, 'docs/bench/gateway.svg');
const SUPERGRAPH = readFileSync(path.join(ROOT, 'schema/supergraph.graphql'), 'utf8');
const silent = createLogger({}, 'error');

const CASES = {
  a: { title: '(a) 50 tickets + assignee { name email } + sla { state }', query: 'query List { tickets(first: 50) { nodes { id number subject assignee { name email } sla { state } } } }' },
  b: { title: '(b) one ticket by id', query: 'query One($id: ID!) { ticket(id: $id) { id number subject status assignee { name } sla { state } } }' },
  c: { title: '(c) ticketCounts', query: 'query Counts { ticketCounts { status count } }' },
} as const;
type Case = keyof typeof CASES;
/** BENCH_CASES=a,c: only those cases (all three by default). */
const CASE_KEYS = (process.env.BENCH_CASES ? process.env.BENCH_CASES.split(',').map((c) => c.trim()) : Object.keys(CASES)).filter((c): c is Case => c in CASES);
/** The subgraph alone cannot resolve the assignee's name: the direct call selects what it owns. */
const DIRECT: Record<Case, string> = {
  a: 'query List { tickets(first: 50) { nodes { id number subject assignee { id } sla { state } } } }',
  b: 'query One($id: ID!) { ticket(id: $id) { id number subject status assignee { id } sla { state } } }',
  c: CASES.c.query,
};

const OURS = 'Switchboard gateway';
const RUST = 'Hive Gateway (Rust planner)';
const PHYSICAL = 'physical limit (plan fetches, direct)';
/** bench/src/relay.ts: the plan's fetches made by a bare Node process in between (no GraphQL). */
const RELAY = 'bare Node relay (no GraphQL)';

/** What bench/src/timeline.cjs writes: per operation and sequence of marks, the median of each step. */
type Timeline = { operation: string; requests: number; steps: { from: string; to: string; ms: number }[]; totalMs: number }[];

/** The timeline of each case's most common sequence (a principal lookup adds a fetch before Apollo), as a table. */
function timelineLines(timeline: Timeline): string[] {
  const lines = [
    "Where our gateway's wall time goes at one connection (BENCH_TIMELINE=1: bench/src/timeline.cjs preloaded; medians over the requests that had the gateway to themselves, ms; \"subgraphs\" is the wait from each fetch sent to its answer's headers, the rest is the gateway's own):",
    '',
    '| case | requests | HTTP in, express, edge | Apollo Server to the plan | to the first fetch | subgraphs | between fetches | last answer, merge, shaping | response out | gateway own | total |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const which of CASE_KEYS) {
    const operation = /^\s*query\s+(\w+)/.exec(CASES[which].query)?.[1];
    const group = timeline.filter((g) => g.operation === operation).sort((x, y) => y.requests - x.requests)[0];
    if (!group) continue;
    const sum = (from: string, to: string) => group.steps.filter((step) => step.from === from && step.to === to).reduce((n, step) => n + step.ms, 0);
    const waiting = sum('fetch>', 'fetch<');
    const cells = [sum('in', 'apollo'), sum('apollo', 'plan'), sum('plan', 'fetch>'), waiting, sum('fetch<', 'fetch>'), sum('fetch<', 'shaped'), sum('shaped', 'out')];
    const own = cells.reduce((n, v) => n + v, 0) - waiting;
    lines.push(`| ${which} | ${group.requests} | ${cells.map((v) => v.toFixed(2)).join(' | ')} | ${own.toFixed(2)} | ${group.totalMs.toFixed(2)} |`);
  }
  return lines;
}

interface Run {
  target: string;
  case: Case;
  round: number;
  m: Measurement;
  sql: number;
  load: number;
  /** CPU ms per request: the target's own process, and the subgraphs'. */
  cpu: number;
  subCpu: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};
const loadavg = () => os.loadavg()[0]!;

async function statements(urls: string[]): Promise<number> {
  let total = 0;
  for (const url of urls) {
    const text = await (await fetch(url.replace('/graphql', '/metrics'))).text();
    const line = text.split('\n').find((l) => l.startsWith('db_statements_total'));
    total += line ? Number(line.split(' ').at(-1)) : 0;
  }
  return total;
}

interface Target {
  name: string;
  url: string;
  load: Callers;
  query: (which: Case) => string;
  /** The target's process (none for a subgraph called directly: its CPU is the subgraphs'). */
  pid?: number;
  stop(): Promise<void>;
}

async function main() {
  const started = Date.now();
  let embedded: EmbeddedPostgres | undefined;
  const databaseUrl = process.env.DATABASE_URL ?? (embedded = await startEmbeddedPostgres()).url;
  const redisUrl = process.env.REDIS_URL;
  const prefix = `bench${randomBytes(3).toString('hex')}_`;
  const log = (msg: string) => process.stderr.write(`${msg}\n`);
  log(`database: ${embedded ? 'embedded PGlite' : databaseUrl}; Redis: ${redisUrl ?? 'none (L2 off only)'}; ${ROUNDS} rounds of ${SECONDS}s x ${CONNECTIONS} connections${QUICK ? ' (quick)' : ''}`);

  // Migrate and seed in this process, then run every server in a process of its own.
  // The queries read tickets (and tenants for the assignees): those and what they depend on, from the registry.
  const subgraphs = benchSubgraphs(['tickets']);
  // Real secrets for this run only (services refuse the published ones outside demo mode).
  const secrets = { INTERNAL_SECRET: randomBytes(24).toString('hex'), JWT_SECRET: randomBytes(24).toString('hex') };
  const common = { ...secrets, HOST: '127.0.0.1', DB_SCHEMA_PREFIX: prefix, LOG_LEVEL: 'error', DATABASE_URL: databaseUrl };
  const bus = busFor(undefined, 'bench');
  const booted = await bootInProcess(subgraphs, common, { logger: silent, bus });
  const tenantsApp = booted.apps.tenants!;
  const ticketsApp = booted.apps.tickets!;
  await seedDemo(tenantsApp.orm);
  const t0 = Date.now();
  const { tenantId, agentIds } = await seedBench(tenantsApp.orm, ticketsApp.orm, { agents: 50, tickets: 5000 });
  log(`seeded 5,000 tickets and ${agentIds.length} agents in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  const [{ id: ticketId }] = await ticketsApp.orm.em.getConnection().execute(`select id from "${prefix}tickets"."ticket" where tenant_id = ? order by number limit 1`, [tenantId]);
  await booted.close();
  await bus.close();

  // 50 distinct callers. Ours: each agent's JWT. The others: what our gateway forwards for
  // that agent, signed per request — `<header>-<subgraph>` for a comparison gateway, which
  // passes it on to that subgraph (bench/src/gateways.ts), the plain header for a subgraph.
  const who = (userId: string, audience: string): Omit<Identity, 'exp' | 'jti'> => ({ kind: 'user', tenantId, userId, roles: ['AGENT'], scopes: [], audience });
  const secret = secrets.INTERNAL_SECRET;
  const jwtCallers: Callers = { secret, callers: agentIds.map((sub) => ({ headers: { authorization: `Bearer ${signJwt({ sub, tid: tenantId, role: 'AGENT' }, secrets.JWT_SECRET, 3600).token}` } })) };
  const forwarded: Callers = { secret, callers: agentIds.map((id) => ({ headers: {}, sign: ['tenants', 'tickets'].map((aud) => ({ header: `${IDENTITY_HEADER}-${aud}`, identity: who(id, aud) })) })) };
  const direct: Callers = { secret, callers: agentIds.map((id) => ({ headers: {}, sign: ['tenants', 'tickets'].map((aud) => ({ header: IDENTITY_HEADER, identity: who(id, aud) })) })) };
  const variablesOf = (query: string) => (query.includes('$id') ? { id: ticketId } : {});
  const body = (query: string) => JSON.stringify({ query, variables: variablesOf(query) });

  const runs: Run[] = [];
  let timeline: Timeline | undefined;
  const idleRates: number[] = [];
  const lowRuns: Run[] = [];
  const plans: Partial<Record<Case, string[]>> = {};
  const passes = redisUrl ? (FULL ? [true, false] : [true]) : [false];
  for (const l2 of passes) {
    const env = { ...secrets, DATABASE_URL: databaseUrl, DB_SCHEMA_PREFIX: prefix, REDIS_URL: l2 ? redisUrl! : '', EVENT_STREAM: `${prefix}events`, HOST: '127.0.0.1' };
    const processes = await startProcesses(subgraphs, env);
    const tickets = processes.children.tickets!;
    const subgraphUrls = Object.values(processes.urls);
    const sdl = supergraphFor(SUPERGRAPH, processes.urls);
    const ours = redisUrl ? `${OURS}${l2 ? '' : ' (L2 off)'}` : OURS;
    const gp = await freePort();
    const profDir = CPU_PROF && l2 === passes[0] ? path.resolve(CPU_PROF) : undefined;
    if (profDir) mkdirSync(profDir, { recursive: true });
    const timelineFile = TIMELINE && l2 === passes[0] ? path.join(mkdtempSync(path.join(os.tmpdir(), 'sb-timeline-')), 'timeline.json') : undefined;
    const nodeArgs = [...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), ...(timelineFile ? ['-r', path.join(__dirname, 'timeline.cjs')] : [])];
    const gateway = await startService('gateway/src/main.ts', { ...env, GATEWAY_PORT: String(gp), ...processes.urlEnv, ...(timelineFile ? { TIMELINE_OUT: timelineFile } : {}) }, gp, { nodeArgs });
    const targets: Target[] = [{ name: ours, url: gateway.url, load: jwtCallers, query: (w) => CASES[w].query, pid: gateway.pid, stop: gateway.stop }];
    if (BASELINE && l2 === passes[0]) {
      // Another checkout's gateway (before a change) on the same subgraphs, alternated with this one.
      const bp = await freePort();
      const baseline = await startService('gateway/src/main.ts', { ...env, GATEWAY_PORT: String(bp), ...processes.urlEnv }, bp, { root: path.resolve(BASELINE) });
      targets.push({ name: `${ours} (baseline)`, url: baseline.url, load: jwtCallers, query: (w) => CASES[w].query, pid: baseline.pid, stop: baseline.stop });
    }
    const subgraphPids = Object.values(processes.children).map((c) => c.pid);
    const cpuOf = (pids: number[]) => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const direct1: Target = { name: 'tickets subgraph, direct', url: tickets.url, load: { ...direct, callers: direct.callers.map((c) => ({ ...c, sign: c.sign!.filter((s) => s.identity.audience === 'tickets') })) }, query: (w) => DIRECT[w], stop: async () => {} };
    if (l2 === passes[0]) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-'));
      writeFileSync(path.join(dir, 'supergraph.graphql'), sdl);
      const sp = await freePort();
      const starters: [string, () => Promise<{ url: string; pid?: number; stop(): Promise<void> }>][] = [
        [RUST, async () => startHive(sdl, true).then((t) => ({ url: t.url, pid: t.pid, stop: t.close }))],
        ...(FULL
          ? ([
              ['stock @apollo/gateway', () => startService('bench/src/stock-apollo.ts', { SUPERGRAPH_FILE: path.join(dir, 'supergraph.graphql'), PORT: String(sp) }, sp)],
              ['Hive Gateway (JS planner)', async () => startHive(sdl, false).then((t) => ({ url: t.url, pid: t.pid, stop: t.close }))],
            ] as [string, () => Promise<{ url: string; pid?: number; stop(): Promise<void> }>][])
          : []),
      ];
      for (const [name, start] of starters) {
        try {
          const other = await start();
          targets.push({ name, url: other.url, load: forwarded, query: (w) => CASES[w].query, pid: other.pid, stop: other.stop });
        } catch (error) {
          log(`${name} did not start: ${(error as Error).message}`);
        }
      }
      targets.push(direct1);
    }

    // The physical limit: the fetches the plan makes (recorded once through @apollo/gateway), sent directly in order.
    const steps: Partial<Record<Case, Step[]>> = {};
    for (const which of CASE_KEYS) {
      const fetches = await planFetches(sdl, CASES[which].query, variablesOf(CASES[which].query), (subgraph) => {
        const s = direct.callers[0]!.sign!.find((x) => x.identity.audience === subgraph)!;
        return signIdentityFor(s.identity, secret);
      });
      steps[which] = fetches.map((f) => ({ url: processes.urls[f.subgraph]!, query: f.query, variables: f.variables, audience: f.subgraph }));
      plans[which] = fetches.map((f) => `${f.subgraph}${f.variables.representations ? ` _entities(${(f.variables.representations as unknown[]).length})` : ''}`);
    }
    // The floor of a Node process in the middle: the same fetches, made by a bare relay (relay.ts).
    let relay: { url: string; stop(): Promise<void> } | undefined;
    if (l2 === passes[0]) {
      const rp = await freePort();
      const started = await startService('bench/src/relay.ts', { RELAY_STEPS: JSON.stringify(steps), PORT: String(rp) }, rp);
      relay = { url: `http://127.0.0.1:${rp}`, stop: started.stop };
    }
    for (const t of targets) for (const which of CASE_KEYS) await check(t.url, t.load, body(t.query(which)));
    // Warm-up, not counted: JIT, connection pools, every caller's credential seen once.
    for (const t of targets) for (const which of CASE_KEYS) await measureInWorker(t.url, t.load, body(t.query(which)), { connections: CONNECTIONS, seconds: 1 });

    // What the subgraphs burn with no request at all (outbox relay, event consumers, timers):
    // taken out of each run's subgraph CPU, so a slower target is not charged more of it per request.
    const idle0 = cpuOf(subgraphPids);
    const idleStarted = Date.now();
    await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
    const idleRate = (cpuOf(subgraphPids) - idle0) / ((Date.now() - idleStarted) / 1000);
    idleRates.push(idleRate);
    log(`subgraphs at rest: ${(idleRate * 1000).toFixed(1)} ms CPU per second`);

    for (let round = 1; round <= ROUNDS; round++) {
      // Alternate who goes first, so neither always runs on the warmer (or the noisier) machine.
      const order = round % 2 ? targets : [...targets].reverse();
      for (const which of CASE_KEYS) {
        for (const t of order) {
          const before = await statements(subgraphUrls);
          const load = loadavg();
          // CPU seconds before and after: the target's (user, kernel) and each subgraph's.
          const sample = () => ({ target: t.pid ? cpuTimes(t.pid) : { user: 0, system: 0 }, subgraphs: Object.entries(processes.children).map(([name, c]) => [name, cpuSeconds(c.pid)] as const), at: Date.now() });
          const s0 = sample();
          const m = await measureInWorker(t.url, t.load, body(t.query(which)), { connections: CONNECTIONS, seconds: SECONDS });
          const s1 = sample();
          const n = Math.max(m.requests, 1);
          const sql = ((await statements(subgraphUrls)) - before) / n;
          const targetCpu = s1.target.user + s1.target.system - (s0.target.user + s0.target.system);
          const cpu = (1000 * targetCpu) / n;
          const used = s1.subgraphs.map(([name, c], i) => [name, c - s0.subgraphs[i]![1]] as const);
          const subCpu = (1000 * Math.max(0, used.reduce((sum, [, c]) => sum + c, 0) - idleRate * ((s1.at - s0.at) / 1000))) / n;
          runs.push({ target: t.name, case: which, round, m, sql, load, cpu, subCpu });
          const sys = targetCpu > 0 ? `, ${Math.round((100 * (s1.target.system - s0.target.system)) / targetCpu)}% in the kernel` : '';
          const each = used.map(([name, c]) => `${name} ${((1000 * c) / n).toFixed(2)}`).join(' ');
          log(`round ${round} ${t.name.padEnd(34)} ${which}  ${m.rps.toFixed(0).padStart(6)} req/s  p50 ${m.p50.toFixed(1)} ms  p99 ${m.p99.toFixed(1)} ms  ${sql.toFixed(2)} SQL/req  CPU ${cpu.toFixed(2)}+${subCpu.toFixed(2)} ms/req (${each}${sys})  load ${load.toFixed(2)}${m.errors ? `  ${m.errors} errors` : ''}`);
        }
        // One connection, the same client for all: each gateway (Hive with the forwarded identities), then the plan's fetches sent directly.
        const low: [string, Step[], Callers][] = [
          ...targets.filter((t) => t.pid).map((t) => [t.name, [{ url: t.url, query: CASES[which].query, variables: variablesOf(CASES[which].query) }], t.load] as [string, Step[], Callers]),
          ...(l2 === passes[0] ? ([[PHYSICAL, steps[which]!, direct]] as [string, Step[], Callers][]) : []),
          ...(relay ? ([[RELAY, [{ url: `${relay.url}/${which}`, query: '' }], forwarded]] as [string, Step[], Callers][]) : []),
        ];
        for (const [name, s, callers] of round % 2 ? low : [...low].reverse()) {
          const load = loadavg();
          const m = await measureInWorker('', callers, '', { connections: 1, seconds: LOW_SECONDS, steps: s });
          lowRuns.push({ target: name, case: which, round, m, sql: 0, load, cpu: 0, subCpu: 0 });
          log(`round ${round} 1 connection: ${name.padEnd(38)} ${which}  p50 ${m.p50.toFixed(2)} ms  p99 ${m.p99.toFixed(2)} ms  load ${load.toFixed(2)}${m.errors ? `  ${m.errors} errors` : ''}`);
        }
      }
    }
    for (const t of targets) await t.stop();
    if (timelineFile) timeline = JSON.parse(readFileSync(timelineFile, 'utf8')) as Timeline;
    await relay?.stop();
    await processes.stop();
  }

  // Clean up the benchmark's schemas.
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  for (const s of subgraphs) await client.query(`drop schema if exists "${prefix}${s.name}" cascade`);
  await client.end();
  await embedded?.stop();

  const med = (rows: Run[], target: string, which: Case) => {
    const mine = rows.filter((r) => r.target === target && r.case === which);
    if (!mine.length) return undefined;
    const of = (f: (r: Run) => number) => median(mine.map(f));
    return { rps: of((r) => r.m.rps), p50: of((r) => r.m.p50), p95: of((r) => r.m.p95), p99: of((r) => r.m.p99), sql: of((r) => r.sql), cpu: of((r) => r.cpu), subCpu: of((r) => r.subCpu), errors: mine.reduce((n, r) => n + r.m.errors, 0), n: mine.length };
  };
  const names = [...new Set(runs.map((r) => r.target))];
  const lowNames = [...new Set(lowRuns.map((r) => r.target))];
  const loads = [...runs, ...lowRuns].map((r) => r.load);
  const loadText = `load average ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} (median ${median(loads).toFixed(2)})`;
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const date = new Date().toISOString().slice(0, 10);
  const lines = [
    `Switchboard benchmark, ${date}, ${os.cpus().length} cores (${cpu}), Node ${process.version},`,
    `${embedded ? 'embedded PostgreSQL (PGlite)' : 'PostgreSQL'}${redisUrl ? ' + Redis' : ''}; ${ROUNDS} alternating rounds of ${SECONDS}s per run, ${CONNECTIONS} connections, 50 callers round-robin; medians of the rounds;`,
    `each server in its own process, load from a worker thread, all on this one machine; ${loadText}.`,
    `Plans: ${CASE_KEYS.map((w) => `(${w}) ${plans[w]?.join(' → ')}`).join('; ')}.`,
    '',
    `CPU ms/req: the target process (its own CPU time over the run / requests), then the subgraph processes together (what its fetch pattern costs them), net of what they use at rest (${idleRates.map((r) => (r * 1000).toFixed(0)).join(', ')} ms per second, measured over ${IDLE_SECONDS}s before the rounds).`,
    '',
    '| case | target | req/s | p50 ms | p95 ms | p99 ms | SQL/req | CPU ms/req | subgraphs CPU ms/req | errors |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const which of CASE_KEYS) {
    for (const t of names) {
      const m = med(runs, t, which);
      if (m) lines.push(`| ${which} | ${t} | ${m.rps.toFixed(0)} | ${m.p50.toFixed(1)} | ${m.p95.toFixed(1)} | ${m.p99.toFixed(1)} | ${m.sql.toFixed(2)} | ${m.cpu ? m.cpu.toFixed(2) : '—'} | ${m.subCpu.toFixed(2)} | ${m.errors} |`);
    }
  }
  lines.push('', 'One connection (the same client for all; p50/p99 ms):', '', '| case | target | p50 ms | p99 ms | errors |', '| --- | --- | ---: | ---: | ---: |');
  for (const which of CASE_KEYS) {
    for (const t of lowNames) {
      const m = med(lowRuns, t, which);
      if (m) lines.push(`| ${which} | ${t} | ${m.p50.toFixed(2)} | ${m.p99.toFixed(2)} | ${m.errors} |`);
    }
  }
  if (timeline) lines.push('', ...timelineLines(timeline));
  lines.push('');
  const ourBest = names[0]!;
  for (const which of CASE_KEYS) {
    const mine = med(runs, ourBest, which)?.rps;
    const others = names.filter((n) => n !== ourBest).map((n) => [n, med(runs, n, which)?.rps] as const).filter(([, v]) => v);
    lines.push(`${CASES[which].title}: ours = ${others.map(([t, v]) => `${(mine! / v!).toFixed(2)}x ${t}`).join(', ')}`);
  }
  // Each goal is judged on the rounds paired: the two targets of one round ran back to back on
  // the same machine, so the median of the per-round ratios (or differences) drifts least.
  const paired = (rows: Run[], a: string, b: string, which: Case, f: (x: Run, y: Run) => number) => {
    const values: number[] = [];
    for (const x of rows.filter((r) => r.target === a && r.case === which)) {
      const y = rows.find((r) => r.target === b && r.case === which && r.round === x.round);
      if (y) values.push(f(x, y));
    }
    return values.length ? median(values) : undefined;
  };
  lines.push('', 'Goals (medians over the rounds of each round\'s ratio or difference):');
  for (const which of CASE_KEYS) {
    const ratio = paired(runs, ourBest, RUST, which, (x, y) => x.m.rps / y.m.rps);
    const [mine, rust] = [med(runs, ourBest, which)?.rps, med(runs, RUST, which)?.rps];
    if (ratio !== undefined && mine && rust) lines.push(`goal (${which}) req/s ≥ 1.00x ${RUST}: ${ratio.toFixed(2)}x (medians ${mine.toFixed(0)} vs ${rust.toFixed(0)}) — ${ratio >= 1 ? 'met' : 'NOT met'}`);
  }
  const overhead = (target: string, which: Case) => paired(lowRuns, target, PHYSICAL, which, (x, y) => x.m.p50 - y.m.p50);
  for (const which of CASE_KEYS) {
    const over = overhead(ourBest, which);
    const [mine, floor] = [med(lowRuns, ourBest, which)?.p50, med(lowRuns, PHYSICAL, which)?.p50];
    if (over !== undefined && mine !== undefined && floor !== undefined) {
      lines.push(`goal (${which}) p50 overhead at 1 connection ≤ 2 ms over the plan's fetches sent directly: ${over.toFixed(2)} ms (medians ${mine.toFixed(2)} vs ${floor.toFixed(2)} ms)${which === 'a' ? '' : ' [informative]'} — ${over <= 2 ? 'met' : 'NOT met'}`);
    }
  }
  for (const which of CASE_KEYS) {
    const over = overhead(RUST, which);
    if (over !== undefined) lines.push(`for comparison, (${which}) ${RUST} at 1 connection: ${over.toFixed(2)} ms over the plan's fetches sent directly`);
  }
  for (const which of CASE_KEYS) {
    const over = overhead(RELAY, which);
    if (over !== undefined) lines.push(`the floor, (${which}) a ${RELAY} at 1 connection: ${over.toFixed(2)} ms over the plan's fetches sent directly`);
  }
  lines.push('', `(whole run: ${((Date.now() - started) / 1000).toFixed(0)}s)`);
  process.stdout.write(`${lines.join('\n')}\n`);

  if (CHART !== '0') {
    const rowOf = (rows: Run[], t: string, w: Case): ChartRow[] => {
      const m = med(rows, t, w);
      return m ? [{ target: t, case: w, rps: m.rps, p50: m.p50, p99: m.p99 }] : [];
    };
    const svg = chartSvg(
      `Gateway benchmark ${date}: ${os.cpus().length} cores, ${embedded ? 'PGlite' : 'PostgreSQL'}${redisUrl ? ' + Redis' : ''}, Node ${process.version}`,
      `medians of ${ROUNDS} alternating rounds, ${SECONDS}s x ${CONNECTIONS} connections, 50 callers; ${loadText}`,
      names.flatMap((t) => CASE_KEYS.flatMap((w) => rowOf(runs, t, w))),
      lowNames.flatMap((t) => CASE_KEYS.flatMap((w) => rowOf(lowRuns, t, w))),
    );
    mkdirSync(path.dirname(CHART), { recursive: true });
    writeFileSync(CHART, svg);
    log(`chart: ${path.relative(process.cwd(), CHART)}`);
  }
  process.exit(0);
}

/** A header for the recording run (its own jti, like every other request). */
function signIdentityFor(identity: Omit<Identity, 'exp' | 'jti'>, secret: string): string {
  return headersOf({ headers: {}, sign: [{ header: IDENTITY_HEADER, identity }] }, secret)[IDENTITY_HEADER]!;
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
