/**
 * npm run bench: the tickets list, one ticket and the status counts through our gateway
 * (Redis L2 on and off), a stock @apollo/gateway, Hive Gateway (JS and Rust planners) and
 * the tickets subgraph called directly — same supergraph, same subgraphs, same data
 * (5,000 tickets, 50 agents). Prints requests/s, p50/p95/p99 and SQL statements per request.
 *
 * BENCH_SECONDS (default 5) and BENCH_CONNECTIONS (default 10) shape the load. With
 * DATABASE_URL/REDIS_URL it uses those servers; else the embedded PostgreSQL, without L2.
 */
import { bootstrap as startGateway, readGatewayConfig } from '@switchboard/gateway';
import { busFor, createLogger, signIdentity, startEmbeddedPostgres, IDENTITY_HEADER, type EmbeddedPostgres } from '@switchboard/kit';
import { bootstrap as startTenants, readTenantsConfig, seedDemo } from '@switchboard/tenants';
import { bootstrap as startTickets, readTicketsConfig } from '@switchboard/tickets';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startHive, startStockApollo, supergraphFor, type Target } from './gateways';
import { check, measure, type Measurement } from './measure';
import { seedBench } from './seed';

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
  sql?: number;
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

  const rows: Row[] = [];
  const lowLoad: { target: string; p50: number }[] = [];
  let ticketId = '';
  let seeded = false;

  for (const l2 of redisUrl ? [true, false] : [false]) {
    const bus = busFor(undefined, 'bench');
    const common = { HOST: '127.0.0.1', DB_SCHEMA_PREFIX: prefix, REDIS_URL: l2 ? redisUrl : '', LOG_LEVEL: 'error' };
    const tenants = await startTenants({ ...readTenantsConfig({ ...common, TENANTS_PORT: '0' }), DATABASE_URL: databaseUrl }, { logger: silent, bus });
    const tickets = await startTickets({ ...readTicketsConfig({ ...common, TICKETS_PORT: '0', SLA_CHECK_INTERVAL_MS: '0' }), DATABASE_URL: databaseUrl }, { logger: silent, bus });
    if (!seeded) {
      await seedDemo(tenants.orm);
      const t0 = Date.now();
      await seedBench(tenants.orm, tickets.orm, { agents: 50, tickets: 5000 });
      log(`seeded 5,000 tickets and 50 agents in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
      seeded = true;
    }
    const gateway = await startGateway(
      readGatewayConfig({ GATEWAY_PORT: '0', HOST: '127.0.0.1', TENANTS_URL: tenants.url, TICKETS_URL: tickets.url, LOG_LEVEL: 'error', REDIS_URL: l2 ? redisUrl : '' }),
      silent,
    );
    const login = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation { login(email: "admin@acme.test", password: "switchboard-demo") { token user { id tenant { id } } } }' }),
    });
    const { data } = (await login.json()) as { data: { login: { token: string; user: { id: string; tenant: { id: string } } } } };
    const jwt = { authorization: `Bearer ${data.login.token}` };
    const identity = {
      [IDENTITY_HEADER]: signIdentity({ kind: 'user', tenantId: data.login.user.tenant.id, userId: data.login.user.id, roles: ['OWNER'], scopes: [] }, readTenantsConfig({}).INTERNAL_SECRET, 3600),
    };
    if (!ticketId) {
      const r = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', ...jwt }, body: JSON.stringify({ query: '{ tickets(first: 1) { nodes { id } } }' }) });
      ticketId = ((await r.json()) as any).data.tickets.nodes[0].id;
    }
    const body = (query: string) => JSON.stringify({ query, variables: query.includes('$id') ? { id: ticketId } : {} });
    const subgraphUrls = [tenants.url, tickets.url];

    const run = async (target: string, url: string, headers: Record<string, string>, which: keyof typeof CASES, query: string, countSql: boolean) => {
      await check(url, headers, body(query));
      const before = countSql ? await statements(subgraphUrls) : 0;
      const m = await measure(url, headers, body(query), { connections: CONNECTIONS, seconds: SECONDS });
      const sql = countSql ? ((await statements(subgraphUrls)) - before) / Math.max(m.requests, 1) : undefined;
      rows.push({ target, case: which, m, sql });
      log(`${target.padEnd(34)} ${which}  ${m.rps.toFixed(0).padStart(6)} req/s  p50 ${m.p50} ms  p99 ${m.p99} ms${sql !== undefined ? `  ${sql.toFixed(2)} SQL/req` : ''}`);
    };

    const ours = `Switchboard gateway (L2 ${l2 ? 'on' : 'off'})`;
    for (const which of Object.keys(CASES) as (keyof typeof CASES)[]) await run(ours, gateway.url, jwt, which, CASES[which].query, true);
    if (l2 || !redisUrl) {
      const sdl = supergraphFor(SUPERGRAPH, { tenants: tenants.url, tickets: tickets.url });
      const others: Target[] = [];
      try {
        others.push(await startStockApollo(sdl));
        others.push(await startHive(sdl, false));
        others.push(await startHive(sdl, true));
      } catch (error) {
        log(`a comparison gateway did not start: ${(error as Error).message}`);
      }
      for (const other of others) {
        for (const which of Object.keys(CASES) as (keyof typeof CASES)[]) await run(other.name, other.url, identity, which, CASES[which].query, true);
        await other.close();
      }
      for (const which of Object.keys(CASES) as (keyof typeof CASES)[]) await run('tickets subgraph, direct', tickets.url, identity, which, DIRECT[which], true);
      // Low load: one connection, to compare latency without queueing.
      for (const [target, url, headers, query] of [
        [ours, gateway.url, jwt, CASES.a.query],
        ['tickets subgraph, direct', tickets.url, identity, DIRECT.a],
      ] as const) {
        const m = await measure(url, headers, body(query), { connections: 1, seconds: Math.max(2, Math.round(SECONDS / 2)) });
        lowLoad.push({ target, p50: m.p50 });
      }
    }
    await gateway.close();
    await tickets.close();
    await tenants.close();
    await bus.close();
  }

  // Clean up the benchmark's schemas.
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  for (const s of ['tenants', 'tickets']) await client.query(`drop schema if exists "${prefix}${s}" cascade`);
  await client.end();
  await embedded?.stop();

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    `Switchboard benchmark, ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores (${cpu}), Node ${process.version},`,
    `${embedded ? 'embedded PostgreSQL (PGlite)' : 'PostgreSQL'}${redisUrl ? ' + Redis' : ''}; ${SECONDS}s per run, ${CONNECTIONS} connections; everything on this one machine.`,
    '',
    '| case | target | req/s | p50 ms | p95 ms | p99 ms | SQL/req | errors |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.case} | ${r.target} | ${r.m.rps.toFixed(0)} | ${r.m.p50} | ${r.m.p95} | ${r.m.p99} | ${r.sql?.toFixed(2) ?? '–'} | ${r.m.errors} |`),
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
    lines.push(`Low load (1 connection), case (a) p50: ${lowLoad.map((l) => `${l.target} ${l.p50} ms`).join('; ')}`);
  }
  lines.push('', `(whole run: ${((Date.now() - started) / 1000).toFixed(0)}s)`);
  process.stdout.write(`${lines.join('\n')}\n`);
  process.exit(0);
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
