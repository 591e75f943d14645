/**
 * npm run chaos — fault injection (issue 18, item 5).
 *
 * Starts its own PostgreSQL 15 cluster and redis-server (never the machine's shared ones),
 * migrates and seeds the demo data, then runs every subgraph of the registry and the gateway
 * each in its own process, holds a steady mixed load through the gateway (bench/src/chaos/load.ts)
 * and injects one fault at a time, each followed by a recovery period:
 *
 * - Redis killed (SIGKILL) and restarted empty;
 * - each subgraph of the registry killed (SIGKILL) and started again;
 * - PostgreSQL restarted (`pg_ctl restart -m fast`);
 * - every PostgreSQL client connection ended (`pg_terminate_backend`);
 * - a slow subgraph: SIGSTOP for longer than the gateway's SUBGRAPH_TIMEOUT_MS, then SIGCONT;
 * - a slow model provider: the tenant's OPENAI_COMPATIBLE provider (a local server this
 *   script controls) answers its primary model slower than the provider's timeout.
 *
 * Per fault it prints requests ok / failed by extensions.code, partial answers, recovery
 * time, events late or never delivered and lost or doubled writes (every write checked
 * against the chaos PostgreSQL afterwards), with each goal met or not; a table at the end.
 *
 * CHAOS_FAULT_SECONDS (default 10) how long a fault lasts; CHAOS_RECOVERY_SECONDS (default 10)
 * the pause after it; CHAOS_FAULTS a comma list of fault names (or prefixes) to run only
 * those; CHAOS_SLOW_SUBGRAPH (default tickets); CHAOS_SUBGRAPH_TIMEOUT_MS (default 2000) the
 * gateway's subgraph timeout. Exit code 2 when a goal is not met.
 */
import { busFor, createLogger, createRedis, loadRegistry, seedSubgraphs, signJwt } from '@switchboard/kit';
import { startFakeOpenAI } from '@switchboard/models/src/fake-openai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startService, type Child } from '../processes';
import { bootInProcess, startProcesses } from '../subgraphs';
import { startPostgres, startRedis, type ChaosPostgres, type ChaosRedis } from './infra';
import {
  checkEvents,
  checkWrites,
  formatFault,
  formatTable,
  goalsFor,
  partialDataCheck,
  recoveryMs,
  summariseRequests,
  type FaultResult,
} from './ledger';
import { gql, isOk, Load, probeCandidates, READS, type Clock, type ProbeField } from './load';

const FAULT_S = Number(process.env.CHAOS_FAULT_SECONDS ?? 10);
const RECOVERY_S = Number(process.env.CHAOS_RECOVERY_SECONDS ?? 10);
const SUBGRAPH_TIMEOUT_MS = Number(process.env.CHAOS_SUBGRAPH_TIMEOUT_MS ?? 5_000);
const SLOW_SUBGRAPH = process.env.CHAOS_SLOW_SUBGRAPH ?? 'tickets';
const ONLY = (process.env.CHAOS_FAULTS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const LATE_MS = Number(process.env.CHAOS_LATE_MS ?? 5_000);
const GRACE_S = Number(process.env.CHAOS_GRACE_SECONDS ?? 15);
/** A loaded machine starts a Node service slowly: how long a (re)start may take. */
const START_TIMEOUT_MS = Number(process.env.CHAOS_START_TIMEOUT_SECONDS ?? 180) * 1000;
const PROVIDER_TIMEOUT_MS = 1_000;
const PRIMARY = 'chaos-primary';
const FALLBACK = 'chaos-fallback';
const STREAM = 'chaos:events';

const ROOT = path.resolve(__dirname, '../../..');
const log = (msg: string) => process.stderr.write(`${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

interface Fault {
  name: string;
  description: string;
  /** Injects it, holds it, clears it; resolves with the moment it cleared and notes. */
  run(): Promise<{ clearedAt: number; notes: string[] }>;
  redisDown?: boolean;
  subgraphDown?: string;
  /** Recovery judged by `complete` calls that no longer wait on the slow provider (the slow-provider fault). */
  modelRecovery?: boolean;
}

async function main() {
  const started = Date.now();
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await Promise.resolve().then(fn).catch((e: Error) => log(`cleanup: ${e.message}`));
    cleanups.length = 0;
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanup().finally(() => process.exit(130)));

  let pg: ChaosPostgres | undefined;
  let redis: ChaosRedis | undefined;
  try {
    pg = await startPostgres();
    cleanups.push(() => pg!.stop());
    redis = await startRedis();
    cleanups.push(() => redis!.stop());
    const logDir = mkdtempSync(path.join(os.tmpdir(), 'sb-chaos-logs-'));
    log(`chaos: own PostgreSQL on :${pg.port}, own Redis on :${redis.port}; service logs in ${logDir}`);
    log(`faults last ${FAULT_S} s, then ${RECOVERY_S} s to recover; gateway SUBGRAPH_TIMEOUT_MS ${SUBGRAPH_TIMEOUT_MS}`);

    // Migrate and seed (the registry's demo seeds, as `npm start` runs them) in this process, over the chaos Redis.
    const registry = loadRegistry();
    const secrets = { INTERNAL_SECRET: randomBytes(24).toString('hex'), JWT_SECRET: randomBytes(24).toString('hex') };
    const env = { ...secrets, HOST: '127.0.0.1', DATABASE_URL: pg.url, REDIS_URL: redis.url, EVENT_STREAM: STREAM };
    const silent = createLogger({}, 'error');
    const busRedis = createRedis(redis.url);
    const bus = busFor(busRedis, STREAM, silent);
    const t0 = Date.now();
    const booted = await bootInProcess(registry, { ...env, LOG_LEVEL: 'error' }, { logger: silent, bus });
    await seedSubgraphs(registry.map((definition) => ({ definition, app: booted.apps[definition.name]! })), silent);
    await booted.close();
    await bus.close();
    busRedis.disconnect();
    const [{ id: tenantId }] = await pg.query<{ id: string }>(`select id from "tenants"."tenant" where slug = 'acme'`);
    const [{ id: ownerId }] = await pg.query<{ id: string }>(`select id from "tenants"."user" where email = 'admin@acme.test'`);
    await pg.query(`update "tenants"."tenant" set requests_per_minute = 10000000 where id = $1`, [tenantId]);
    log(`migrated and seeded ${registry.length} subgraphs in ${seconds(Date.now() - t0)}`);

    // Every subgraph and the gateway, each in its own process.
    const t1 = Date.now();
    const processes = await startProcesses(registry, env, { logDir, logLevel: 'warn', startTimeoutMs: START_TIMEOUT_MS });
    cleanups.push(() => processes.stop());
    const gp = await freePort();
    const gateway: Child = await startService('gateway/src/main.ts', { ...env, GATEWAY_PORT: String(gp), SUBGRAPH_TIMEOUT_MS: String(SUBGRAPH_TIMEOUT_MS), ...processes.urlEnv }, gp, {
      logLevel: 'warn',
      logFile: path.join(logDir, 'gateway.log'),
      startTimeoutMs: START_TIMEOUT_MS,
    });
    cleanups.push(() => gateway.stop());
    log(`${registry.map((s) => s.name).join(', ')} and the gateway up in ${seconds(Date.now() - t1)}`);

    const headers = { authorization: `Bearer ${signJwt({ sub: ownerId, tid: tenantId, role: 'OWNER' }, secrets.JWT_SECRET, 6 * 3600).token}` };
    const call = async (query: string, variables: Record<string, unknown> = {}) => {
      const a = await gql(gateway.url, headers, query, variables);
      if (!isOk(a)) throw new Error(`set-up call failed: ${query.slice(0, 60)}: ${JSON.stringify(a.errors ?? a.transport)}`);
      return a.data as Record<string, any>;
    };

    // The model provider the `complete` calls use: a local OpenAI-compatible server this script controls.
    const fake = await startFakeOpenAI();
    cleanups.push(() => fake.close());
    const provider = (await call(`mutation($i: ProviderInput!) { createProvider(input: $i) { id } }`, { i: { name: 'chaos-fake', kind: 'OPENAI_COMPATIBLE', baseUrl: fake.url, apiKey: 'sk-chaos', timeoutMs: PROVIDER_TIMEOUT_MS } })).createProvider.id;
    const chain: string[] = [];
    for (const name of [PRIMARY, FALLBACK]) {
      chain.push((await call(`mutation($i: ModelInput!) { createModel(input: $i) { id } }`, { i: { providerId: provider, name, purpose: 'CHAT', inputPricePer1K: 0.0001, outputPricePer1K: 0.0001, quality: 5 } })).createModel.id);
    }
    await call(`mutation($i: RoutingPolicyInput!) { setRoutingPolicy(input: $i) { strategy } }`, { i: { strategy: 'ORDERED', chain, cacheTtlSeconds: 0 } });

    const liveConversation = (await call(`mutation { startConversation(input: { channel: WEB, contact: { name: "Chaos live" } }) { id } }`)).startConversation.id as string;
    const escalationConversation = (await call(`mutation { startConversation(input: { channel: WEB, contact: { name: "Chaos escalations", email: "chaos@example.com" } }) { id } }`)).startConversation.id as string;

    // The probe: one root field per subgraph, the first of its candidates that answers now.
    const probe: ProbeField[] = [];
    for (const candidates of probeCandidates(readFileSync(path.join(ROOT, 'schema/supergraph.graphql'), 'utf8'))) {
      for (const c of candidates) {
        const a = await gql(gateway.url, headers, `query { ${c.field} ${c.selection} }`);
        if (isOk(a)) {
          probe.push(c);
          break;
        }
      }
    }
    const probed = probe.map((p) => p.subgraph);
    const unprobed = registry.map((s) => s.name).filter((n) => !probed.includes(n));
    log(`probe: ${probe.map((p) => `${p.subgraph}.${p.field}`).join(', ')}${unprobed.length ? ` (no field answered for ${unprobed.join(', ')})` : ''}`);

    const clock: Clock = { fault: 'baseline', phase: 'during' };
    const load = new Load({ url: gateway.url, headers, liveConversation, escalationConversation, primaryModel: PRIMARY }, clock, { readers: 3, pauseMs: 50, retryForMs: 20_000, probe });
    for (const read of READS) await call(read.query, read.variables?.({ escalationConversation, liveConversation }));
    await load.subscribeAndWait();
    load.start();
    const baselineS = Math.max(3, Math.min(10, RECOVERY_S));
    await sleep(baselineS * 1000);

    const faults: Fault[] = [
      {
        name: 'redis',
        description: `redis-server killed (SIGKILL), restarted empty after ${FAULT_S} s`,
        redisDown: true,
        async run() {
          await redis!.kill();
          await sleep(FAULT_S * 1000);
          await redis!.start();
          return { clearedAt: Date.now(), notes: [] };
        },
      },
      ...registry.map(
        (s): Fault => ({
          name: `kill ${s.name}`,
          description: `${s.name} killed (SIGKILL), started again after ${FAULT_S} s`,
          subgraphDown: s.name,
          async run() {
            await processes.children[s.name]!.signal('SIGKILL');
            await sleep(FAULT_S * 1000);
            const t = Date.now();
            const notes: string[] = [];
            for (let attempt = 1; ; attempt++) {
              try {
                await processes.restart(s.name);
                break;
              } catch (error) {
                notes.push(`start ${attempt} failed: ${(error as Error).message.split('\n')[0]}`);
                if (attempt === 3) throw error;
              }
            }
            notes.push(`the new ${s.name} process answered /healthz ${seconds(Date.now() - t)} after it was started; recovery counts from then`);
            return { clearedAt: Date.now(), notes };
          },
        }),
      ),
      {
        name: 'postgres restart',
        description: 'pg_ctl restart -m fast',
        async run() {
          const t = Date.now();
          await pg!.restart();
          return { clearedAt: Date.now(), notes: [`the restart took ${seconds(Date.now() - t)}`] };
        },
      },
      {
        name: 'postgres terminate',
        description: 'pg_terminate_backend on every client connection',
        async run() {
          const n = await pg!.terminateConnections();
          return { clearedAt: Date.now(), notes: [`${n} connections ended`] };
        },
      },
      {
        name: `slow ${SLOW_SUBGRAPH}`,
        description: `${SLOW_SUBGRAPH} stopped (SIGSTOP) for ${Math.max(FAULT_S, (2 * SUBGRAPH_TIMEOUT_MS) / 1000)} s (gateway timeout ${SUBGRAPH_TIMEOUT_MS / 1000} s), then SIGCONT`,
        subgraphDown: SLOW_SUBGRAPH,
        async run() {
          const child = processes.children[SLOW_SUBGRAPH];
          if (!child) throw new Error(`CHAOS_SLOW_SUBGRAPH: no subgraph "${SLOW_SUBGRAPH}"`);
          await child.signal('SIGSTOP');
          await sleep(Math.max(FAULT_S * 1000, 2 * SUBGRAPH_TIMEOUT_MS));
          await child.signal('SIGCONT');
          return { clearedAt: Date.now(), notes: [] };
        },
      },
      {
        name: 'slow model provider',
        description: `the provider's primary model answers after ${(3 * PROVIDER_TIMEOUT_MS) / 1000} s (its timeout ${PROVIDER_TIMEOUT_MS / 1000} s) for ${FAULT_S} s`,
        modelRecovery: true,
        async run() {
          load.attempts.clear();
          fake.behave(PRIMARY, { delayMs: 3 * PROVIDER_TIMEOUT_MS });
          await sleep(FAULT_S * 1000);
          fake.behave(PRIMARY, {});
          const outcomes = [...load.attempts.entries()].map(([k, n]) => `${k} ${n}`).join(', ');
          return { clearedAt: Date.now(), notes: [`complete attempts while slow: ${outcomes || 'none'}`] };
        },
      },
    ].filter((f) => !ONLY.length || ONLY.some((o) => f.name === o || f.name.startsWith(o)));

    const windows: { fault: Fault; start: number; clearedAt: number; end: number; notes: string[] }[] = [];
    for (const fault of faults) {
      clock.fault = fault.name;
      clock.phase = 'during';
      const start = Date.now();
      log(`fault: ${fault.name} (${fault.description})`);
      const { clearedAt, notes } = await fault.run();
      clock.phase = 'after';
      await sleep(RECOVERY_S * 1000);
      windows.push({ fault, start, clearedAt, end: Date.now(), notes });
      const quick = recoveryMs((fault.modelRecovery ? load.modelClean : load.requests.filter((r) => r.kind === 'probe')).filter((r) => r.fault === fault.name), clearedAt);
      if (fault.modelRecovery) {
        const primary = recoveryMs(load.modelFull.filter((r) => r.fault === fault.name), clearedAt);
        notes.push(primary === undefined ? `the primary model was still skipped at the end of the window (its circuit breaker cools down for MODELS_BREAKER_COOLDOWN_MS, 30 s by default); calls went to the fallback meanwhile` : `the primary model answered again ${seconds(primary)} after it was fast again`);
      }
      log(`  cleared; ${quick === undefined ? 'not recovered yet' : `recovered in ${seconds(quick)}`}`);
    }
    clock.fault = 'end';
    await load.stop();
    log(`load stopped; waiting ${GRACE_S} s for events still on their way`);

    // Grace: escalations become tickets by event; watch the database until all are there or the grace is over.
    const ticketsSeen = async () => {
      const rows = await pg!.query<{ subject: string; at: Date }>(`select subject, min(created_at) as at from "tickets"."ticket" where subject like 'chaos-esc-%' group by subject`);
      load.escalationsSeen(new Map(rows.map((r) => [r.subject, new Date(r.at).getTime()])));
    };
    const graceEnd = Date.now() + GRACE_S * 1000;
    while (Date.now() < graceEnd) {
      await ticketsSeen().catch(() => undefined);
      if (load.events.every((e) => e.deliveredAt !== undefined)) break;
      await sleep(500);
    }
    await load.closeSubscriber();

    // Every write against the database.
    const stored = new Map<string, number>();
    for (const r of await pg.query<{ key: string; n: number }>(`select idempotency_key as key, count(*)::int as n from "conversations"."message" where idempotency_key like 'chaos-%' group by 1`)) stored.set(r.key, r.n);
    for (const r of await pg.query<{ key: string; n: number }>(`select subject as key, count(*)::int as n from "tickets"."ticket" where subject like 'chaos-%' group by 1`)) stored.set(r.key, r.n);
    const [numbers] = await pg.query<{ n: number; distinct: number; lo: number; hi: number }>(`select count(*)::int as n, count(distinct number)::int as distinct, min(number) as lo, max(number) as hi from "tickets"."ticket" where tenant_id = $1`, [tenantId]);
    // A sendMessage never answered that was stored after all: its live event was due too (not counted as never: the client was never told it happened).
    const storedUnanswered = [...load.unanswered].filter((k) => stored.has(k)).length;

    const results: FaultResult[] = [];
    for (const w of windows) {
      const name = w.fault.name;
      const inWindow = load.requests.filter((r) => r.fault === name);
      const probes = inWindow.filter((r) => r.kind === 'probe');
      const partialData = w.fault.subgraphDown
        ? partialDataCheck(load.probes.filter((p) => p.fault === name && p.phase === 'during' && p.responded), probed, w.fault.subgraphDown)
        : undefined;
      const events = load.events.filter((e) => e.fault === name);
      const byKind = (list: typeof events) => {
        const counts = new Map<string, number>();
        for (const e of list) counts.set(`${e.kind}${e.via ? ` via ${e.via}` : ''}`, (counts.get(`${e.kind}${e.via ? ` via ${e.via}` : ''}`) ?? 0) + 1);
        return [...counts].map(([k, n]) => `${k} ${n}`).join(', ');
      };
      const never = events.filter((e) => e.deliveredAt === undefined);
      if (never.length) w.notes.push(`never delivered: ${byKind(never)} (e.g. ${never.slice(0, 3).map((e) => e.key).join(', ')})`);
      const late = events.filter((e) => e.deliveredAt !== undefined && (e.via === 'catch-up' || e.deliveredAt - e.sentAt > LATE_MS));
      if (late.length) w.notes.push(`late: ${byKind(late)}`);
      if (w.fault.subgraphDown) {
        const empty = load.probes.filter((p) => p.fault === name && p.phase === 'during' && p.responded && p.answered.length === 0).length;
        if (empty) w.notes.push(`${empty} probes during the fault came back with no data at all`);
      }
      const base: Omit<FaultResult, 'goals'> = {
        fault: name,
        description: w.fault.description,
        requests: summariseRequests(inWindow),
        recoveryMs: recoveryMs(w.fault.modelRecovery ? load.modelClean.filter((r) => r.fault === name) : probes, w.clearedAt),
        partialData,
        writes: checkWrites(load.writes.filter((x) => x.fault === name), stored),
        events: checkEvents(events, LATE_MS),
        notes: w.notes,
      };
      results.push({ ...base, goals: goalsFor(base, { redisDown: w.fault.redisDown, subgraphDown: w.fault.subgraphDown }) });
    }
    const baseline = { writes: checkWrites(load.writes.filter((x) => x.fault === 'baseline'), stored), events: checkEvents(load.events.filter((e) => e.fault === 'baseline'), LATE_MS), requests: summariseRequests(load.requests.filter((r) => r.fault === 'baseline')) };

    writeFileSync(path.join(logDir, 'records.json'), JSON.stringify({ windows: windows.map((w) => ({ fault: w.fault.name, start: w.start, clearedAt: w.clearedAt, end: w.end })), requests: load.requests, writes: load.writes, events: load.events, probes: load.probes }));
    const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
    const all = results.flatMap((r) => r.goals);
    const met = all.filter((g) => g.met).length;
    const lines = [
      '',
      ...results.map(formatFault),
      '',
      `Switchboard fault injection, ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores (${cpu}), load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}, Node ${process.version};`,
      `own PostgreSQL 15 and Redis; ${registry.length} subgraphs and the gateway each in its own process; faults ${FAULT_S} s, recovery ${RECOVERY_S} s, gateway subgraph timeout ${SUBGRAPH_TIMEOUT_MS / 1000} s; an event is late after ${LATE_MS / 1000} s.`,
      `baseline (${baselineS} s before the first fault): reads ${baseline.requests.reads.ok} ok / ${baseline.requests.reads.failed} failed, writes ${baseline.writes.accepted} accepted, ${baseline.writes.lost} lost, events ${baseline.events.never} never of ${baseline.events.expected}.`,
      '',
      formatTable(results),
      '',
      `All writes: ${load.writes.length} (${load.writes.filter((w) => w.outcome === 'accepted').length} accepted, ${load.writes.filter((w) => w.outcome === 'unknown').length} unanswered, of which ${storedUnanswered} sendMessage were stored after all).`,
      `Ticket numbers of the tenant: ${numbers?.n} tickets, ${numbers?.distinct} distinct numbers, ${numbers?.lo}..${numbers?.hi}${numbers && numbers.n === numbers.distinct && numbers.hi - numbers.lo + 1 === numbers.n ? ' (no gaps, no duplicates)' : ' (GAPS OR DUPLICATES)'}.`,
      `Live subscriber: ${load.resubscribes} resubscriptions, ${load.catchUpCount} catch-up queries (after reconnecting, or after a result with errors); ${load.errorResults} results with errors${load.errorResults ? ` (${[...load.errorCodes].map(([c, n]) => `${c} ${n}`).join(', ')})` : ''}.`,
      `Goals: ${met}/${all.length} met.  (whole run: ${seconds(Date.now() - started)}; service logs in ${logDir})`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    await cleanup();
    process.exit(met === all.length ? 0 : 2);
  } catch (error) {
    await cleanup();
    throw error;
  }
}

main().catch((error) => {
  process.stderr.write(`chaos failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
