/**
 * npm run bench: the tickets list, one ticket and the status counts through our gateway
 * (Redis L2 on and off), a stock @apollo/gateway, Hive Gateway (JS and Rust planners) and
 * the tickets subgraph called directly — same supergraph, same subgraphs, same data
 * (5,000 tickets, 50 agents). Prints requests/s, p50/p95/p99 and SQL statements per request.
 *
 * BENCH_SECONDS (default 5) and BENCH_CONNECTIONS (default 10) shape the load. With
 * DATABASE_URL/REDIS_URL it uses those servers; else the embedded PostgreSQL, without L2.
 */
import { busFor, createLogger, signIdentity, signJwt, startEmbeddedPostgres, IDENTITY_HEADER, type EmbeddedPostgres } from '@switchboard/kit';
import { seedDemo } from '@switchboard/tenants';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startHive, supergraphFor } from './gateways';
import { check, type Measurement } from './measure';
import { freePort, measureInWorker, startService } from './processes';
import { seedBench } from './seed';
import { benchSubgraphs, bootInProcess, startProcesses } from './subgraphs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const SUPERGRAPH = readFileSync(path.resolve(__dirname, '../../schema/supergraph.graphql'), 'utf8');
const silent = createLogger({}, 'error');

const CASES = {
  a: { title: '(a) 50 tickets + assignee { name email } + sla { state }', query: 'query List { tickets(first: 50) { nodes { id number subject assignee { name email } sla { state } } } }' },
  b: { title: '(b) one ticket by id', query: 'query One($id: ID!) { ticket(id: $id) { id number subject status assignee { name } sla { state } } }' },
  c: { title: '(c) ticketCounts', query: 'query Counts { ticketCounts { status count } }' },
} as const;
/** The subgraph alone cannot resolve the assignee's name: the direct call selects what it owns. */
const DIRECT = {
  a: 'query List { tickets(first: 50) { nodes { id number subject assignee { id } sla { state } } } }',
  b: 'query One($id: ID!) { ticket(id: $id) { id number subject status assignee { id } sla { state } } }',
  c: CASES.c.query,
};

interface Row {
  target: string;
  case: keyof typeof CASES;
  m: Measurement;
  sql: number;
}

async function statements(urls: string[]): Promise<number> {
  let total = 0;
  for (const url of urls) {
    const text = await (await fetch(url.replace('/graphql', '/metrics'))).text();
    const line = text.split('\n').find((l) => l.startsWith('db_statements_total'));
    total += line ? Number(line.split(' ').at(-1)) : 0;
  }
  return total;
}

async function main() {
  const started = Date.now();
  let embedded: EmbeddedPostgres | undefined;
  const databaseUrl = process.env.DATABASE_URL ?? (embedded = await startEmbeddedPostgres()).url;
  const redisUrl = process.env.REDIS_URL;
  const prefix = `bench${randomBytes(3).toString('hex')}_`;
  const log = (msg: string) => process.stderr.write(`${msg}\n`);
  log(`database: ${embedded ? 'embedded PGlite' : databaseUrl}; Redis: ${redisUrl ?? 'none (L2 off only)'}; ${SECONDS}s x ${CONNECTIONS} connections per run`);

  // Migrate and seed in this process, then run every server in a process of its own.
  // The queries read tickets (and tenants for the assignees): those and what they depend on, from the registry.
  const subgraphs = benchSubgraphs(['tickets']);
  // Real secrets for this run only (services refuse the published ones outside demo mode).
  // The comparison gateways and the direct-subgraph runs send one static identity header
  // per subgraph again and again, so the subgraphs run without the replay check.
  const secrets = { INTERNAL_SECRET: randomBytes(24).toString('hex'), JWT_SECRET: randomBytes(24).toString('hex') };
  const common = { ...secrets, HOST: '127.0.0.1', DB_SCHEMA_PREFIX: prefix, LOG_LEVEL: 'error', DATABASE_URL: databaseUrl };
  const bus = busFor(undefined, 'bench');
  const booted = await bootInProcess(subgraphs, common, { logger: silent, bus });
  const tenantsApp = booted.apps.tenants!;
  const ticketsApp = booted.apps.tickets!;
  await seedDemo(tenantsApp.orm);
  const t0 = Date.now();
  const { tenantId, ownerId } = await seedBench(tenantsApp.orm, ticketsApp.orm, { agents: 50, tickets: 5000 });
  log(`seeded 5,000 tickets and 50 agents in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  const [{ id: ticketId }] = await ticketsApp.orm.em.getConnection().execute(`select id from "${prefix}tickets"."ticket" where tenant_id = ? order by number limit 1`, [tenantId]);
  await booted.close();
  await bus.close();

  const jwt = { authorization: `Bearer ${signJwt({ sub: ownerId, tid: tenantId, role: 'OWNER' }, secrets.JWT_SECRET, 3600).token}` };
  // One header per subgraph (each is signed for one audience); the comparison gateways
  // forward `<header>-<subgraph>` as the header to that subgraph (bench/src/gateways.ts).
  const owner = { kind: 'user' as const, tenantId, userId: ownerId, roles: ['OWNER' as const], scopes: [] };
  const identity = {
    [`${IDENTITY_HEADER}-tenants`]: signIdentity({ ...owner, audience: 'tenants' }, secrets.INTERNAL_SECRET, 3600),
    [`${IDENTITY_HEADER}-tickets`]: signIdentity({ ...owner, audience: 'tickets' }, secrets.INTERNAL_SECRET, 3600),
  };
  const direct = { [IDENTITY_HEADER]: identity[`${IDENTITY_HEADER}-tickets`]! };
  const body = (query: string) => JSON.stringify({ query, variables: query.includes('$id') ? { id: ticketId } : {} });

  const rows: Row[] = [];
  const lowLoad: { target: string; p50: number }[] = [];
  for (const l2 of redisUrl ? [true, false] : [false]) {
    const env = { ...secrets, IDENTITY_REPLAY_CHECK: 'false', DATABASE_URL: databaseUrl, DB_SCHEMA_PREFIX: prefix, REDIS_URL: l2 ? redisUrl! : '', EVENT_STREAM: `${prefix}events`, HOST: '127.0.0.1' };
    const processes = await startProcesses(subgraphs, env);
    const tickets = processes.children.tickets!;
    const gp = await freePort();
    const gateway = await startService('gateway/src/main.ts', { ...env, GATEWAY_PORT: String(gp), ...processes.urlEnv }, gp);
    const subgraphUrls = Object.values(processes.urls);

    const run = async (target: string, url: string, headers: Record<string, string>, which: keyof typeof CASES, query: string) => {
      await check(url, headers, body(query));
      const before = await statements(subgraphUrls);
      const m = await measureInWorker(url, headers, body(query), { connections: CONNECTIONS, seconds: SECONDS });
      const sql = ((await statements(subgraphUrls)) - before) / Math.max(m.requests, 1);
      rows.push({ target, case: which, m, sql });
      log(`${target.padEnd(34)} ${which}  ${m.rps.toFixed(0).padStart(6)} req/s  p50 ${m.p50.toFixed(1)} ms  p99 ${m.p99.toFixed(1)} ms  ${sql.toFixed(2)} SQL/req`);
    };

    const ours = `Switchboard gateway (L2 ${l2 ? 'on' : 'off'})`;
    for (const which of Object.keys(CASES) as (keyof typeof CASES)[]) await run(ours, gateway.url, jwt, which, CASES[which].query);
    if (l2 || !redisUrl) {
      const sdl = supergraphFor(SUPERGRAPH, processes.urls);
      const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-'));
      writeFileSync(path.join(dir, 'supergraph.graphql'), sdl);
      const sp = await freePort();
      const starters: [string, () => Promise<{ url: string; stop(): Promise<void> }>][] = [
        ['stock @apollo/gateway', () => startService('bench/src/stock-apollo.ts', { SUPERGRAPH_FILE: path.join(dir, 'supergraph.graphql'), PORT: String(sp) }, sp)],
        ['Hive Gateway (JS planner)', async () => startHive(sdl, false).then((t) => ({ url: t.url, stop: t.close }))],
        ['Hive Gateway (Rust planner)', async () => startHive(sdl, true).then((t) => ({ url: t.url, stop: t.close }))],
      ];
      for (const [name, start] of starters) {
        let other: { url: string; stop(): Promise<void> };
        try {
          other = await start();
        } catch (error) {
          log(`${name} did not start: ${(error as Error).message}`);
          continue;
        }
        for (const which of Object.keys(CASES) as (keyof typeof CASES)[]) await run(name, other.url, identity, which, CASES[which].query);
        await other.stop();
      }
      for (const which of Object.keys(CASES) as (keyof typeof CASES)[]) await run('tickets subgraph, direct', tickets.url, direct, which, DIRECT[which]);
      // Low load: one connection, to compare latency without queueing.
      for (const [target, url, headers, query] of [
        [ours, gateway.url, jwt, CASES.a.query],
        ['tickets subgraph, direct', tickets.url, direct, DIRECT.a],
      ] as const) {
        const m = await measureInWorker(url, headers, body(query), { connections: 1, seconds: Math.max(2, Math.round(SECONDS / 2)) });
        lowLoad.push({ target, p50: m.p50 });
      }
    }
    await gateway.stop();
    await processes.stop();
  }

  // Clean up the benchmark's schemas.
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  for (const s of subgraphs) await client.query(`drop schema if exists "${prefix}${s.name}" cascade`);
  await client.end();
  await embedded?.stop();

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    `Switchboard benchmark, ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores (${cpu}), Node ${process.version},`,
    `${embedded ? 'embedded PostgreSQL (PGlite)' : 'PostgreSQL'}${redisUrl ? ' + Redis' : ''}; ${SECONDS}s per run, ${CONNECTIONS} connections; each server in its own process, load from a worker thread, all on this one machine.`,
    '',
    '| case | target | req/s | p50 ms | p95 ms | p99 ms | SQL/req | errors |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.case} | ${r.target} | ${r.m.rps.toFixed(0)} | ${r.m.p50.toFixed(1)} | ${r.m.p95.toFixed(1)} | ${r.m.p99.toFixed(1)} | ${r.sql.toFixed(2)} | ${r.m.errors} |`),
    '',
  ];
  const ref = (target: string, which: keyof typeof CASES) => rows.find((r) => r.target === target && r.case === which)?.m.rps;
  const ourBest = `Switchboard gateway (L2 ${redisUrl ? 'on' : 'off'})`;
  for (const which of Object.keys(CASES) as (keyof typeof CASES)[]) {
    const mine = ref(ourBest, which);
    const ratios = ['stock @apollo/gateway', 'Hive Gateway (JS planner)', 'Hive Gateway (Rust planner)', 'tickets subgraph, direct']
      .map((t) => [t, ref(t, which)] as const)
      .filter(([, v]) => v)
      .map(([t, v]) => `${(mine! / v!).toFixed(2)}x ${t}`);
    lines.push(`${CASES[which].title}: ours = ${ratios.join(', ')}`);
  }
  if (lowLoad.length) {
    lines.push(`Low load (1 connection), case (a) p50: ${lowLoad.map((l) => `${l.target} ${l.p50.toFixed(1)} ms`).join('; ')}`);
  }
  lines.push('', `(whole run: ${((Date.now() - started) / 1000).toFixed(0)}s)`);
  process.stdout.write(`${lines.join('\n')}\n`);
  process.exit(0);
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
