import { createLogger, formatErrorFor } from '@switchboard/kit';
import { GraphQLError } from 'graphql';
import { networkInterfaces } from 'node:os';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { bootstrap as startTenants, readTenantsConfig } from '@switchboard/tenants';
import { TEST_SECRETS } from '@switchboard/kit/src/testing';
import { startEdgeStack, type EdgeStack } from './edge-stack';

/** /metrics is not public; its operation labels are bounded; logs carry no SQL values or URL passwords. */
let stack: EdgeStack;
let admin: Record<string, string>;
beforeAll(async () => {
  stack = await startEdgeStack({ METRICS_MAX_OPERATION_LABELS: '3' });
  admin = await stack.as('admin@acme.test');
});
afterAll(() => stack.close());

const metricsUrl = (graphqlUrl: string) => graphqlUrl.replace('/graphql', '/metrics');
/** An address of this machine that is not loopback, if it has one. */
const external = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
const withExternal = external ? it : it.skip;

describe('/metrics', () => {
  it('answers connections from this host when no METRICS_TOKEN is set (gateway and subgraphs)', async () => {
    for (const url of [stack.gateway.url, stack.base.tenants.url]) {
      const res = await fetch(metricsUrl(url));
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/graphql_requests_total/);
    }
  });

  withExternal('is hidden (404) from other hosts when no METRICS_TOKEN is set, whatever X-Forwarded-For says', async () => {
    const g = await stack.startGateway({ HOST: '0.0.0.0', TRUST_PROXY: '1' });
    const res = await fetch(`http://${external}:${g.port}/metrics`, { headers: { 'x-forwarded-for': '127.0.0.1' } });
    expect(res.status).toBe(404);
    expect(await res.text()).not.toMatch(/graphql_requests_total/);
    expect((await fetch(`http://${external}:${g.port}/healthz`)).status).toBe(200); // the port itself is reachable
  });

  it('needs Authorization: Bearer <METRICS_TOKEN> when one is set, from anywhere', async () => {
    const token = randomBytes(16).toString('hex');
    const g = await stack.startGateway({ METRICS_TOKEN: token });
    const none = await fetch(metricsUrl(g.url));
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await fetch(metricsUrl(g.url), { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const ok = await fetch(metricsUrl(g.url), { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/gateway_rate_limited_total/);
  });
});

describe('operation labels', () => {
  it('labels safelisted operations and a bounded number of others; the rest count as `other`', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `Probe_${randomBytes(3).toString('hex')}_${i}`);
    for (const name of names) expect((await stack.gql(`query ${name} { __typename }`, {}, admin)).errors).toBeUndefined();
    const manifest = JSON.parse(readFileSync(path.resolve(__dirname, '../../schema/persisted-documents.json'), 'utf8')) as { operations: { id: string; name: string; type: string }[] };
    const known = manifest.operations.find((o) => o.type === 'query')!;
    await stack.send({ extensions: { persistedQuery: { version: 1, sha256Hash: known.id } }, variables: {} }, admin);
    const text = await (await fetch(metricsUrl(stack.gateway.url))).text();
    const labelled = [...text.matchAll(/^graphql_requests_total\{operation="([^"]+)"/gm)].map((m) => m[1]);
    const probes = labelled.filter((l) => l!.startsWith('Probe_'));
    expect(probes.length).toBe(3); // METRICS_MAX_OPERATION_LABELS
    expect(labelled).toContain('other');
    expect(labelled).toContain(known.name); // a safelisted name never falls into `other`
    expect(text).toMatch(/graphql_requests_total\{operation="other"[^}]*\} 17/);
  });
});

describe('logs', () => {
  it('log a real database error masked to a client with its SQLSTATE, not its SQL or bound values', async () => {
    const secret = `secret-${randomBytes(4).toString('hex')}@example.test`;
    let driverError: unknown;
    try {
      await stack.base.tenants.orm.em
        .fork()
        .getConnection()
        .execute(`insert into "${stack.base.db.schemaPrefix}tenants"."user" ("id", "email") values (?, ?)`, ['not-a-uuid', secret]);
    } catch (error) {
      driverError = error;
    }
    expect(String((driverError as Error).message)).toContain('insert into'); // what the driver says…
    const lines: string[] = [];
    const mask = formatErrorFor(createLogger({ service: 'tenants' }, 'info', (line) => lines.push(line)));
    const wrapped = new GraphQLError('x', { originalError: driverError as Error, path: ['createUser'] });
    expect(mask(wrapped.toJSON(), wrapped).extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(lines.join('')).not.toContain(secret); // …is not what the log says
    expect(lines.join('')).not.toMatch(/insert into/i);
    expect(JSON.parse(lines[0]!).error).toMatchObject({ sqlState: expect.stringMatching(/^[0-9A-Z]{5}$/) });
  });

  it('never carry REDIS_URL’s password (a subgraph names its Redis when it does not answer)', async () => {
    const lines: string[] = [];
    const logger = createLogger({ service: 'tenants' }, 'info', (line) => lines.push(line));
    const tenants = await startTenants(
      { ...readTenantsConfig({ ...TEST_SECRETS, HOST: '127.0.0.1', TENANTS_PORT: '0', DB_SCHEMA_PREFIX: stack.base.db.schemaPrefix, REDIS_URL: 'redis://:hunter2-password@127.0.0.1:1/0' }), DATABASE_URL: stack.base.db.url },
      { logger, bus: stack.base.bus },
    );
    await tenants.close();
    const warning = lines.map((l) => JSON.parse(l)).find((l) => /Redis is not answering/.test(l.msg));
    expect(warning.url).toBe('redis://:***@127.0.0.1:1/0');
    expect(lines.join('\n')).not.toContain('hunter2-password');
  });
});
