import { createLogger, IDENTITY_HEADER, signIdentity, type Role } from '@switchboard/kit';
import { testDatabase } from '@switchboard/kit/src/testing';
import { randomUUID } from 'node:crypto';
import { bootstrap, readIntegrationsConfig, type IntegrationsApp } from '../src/app';
import { subgraph } from '../src/subgraph';

const db = testDatabase();
const silent = createLogger({}, 'silent');
const SECRET = 'integrations-test-internal-secret';
const config = (prefix: string) => ({ ...readIntegrationsConfig({ INTEGRATIONS_PORT: '0', HOST: '127.0.0.1', DB_SCHEMA_PREFIX: prefix, INTERNAL_SECRET: SECRET }), DATABASE_URL: db.url });
const acme = randomUUID();
const globex = randomUUID();
let app: IntegrationsApp;

beforeAll(async () => {
  app = await bootstrap(config(db.schemaPrefix), { logger: silent });
});
afterAll(async () => {
  await app?.close();
  await db.drop();
});

/** A request as the gateway sends it: with a signed identity for `tenantId`. */
async function gql(query: string, variables: Record<string, unknown> = {}, tenantId: string | null = acme, role: Role = 'AGENT') {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (tenantId) headers[IDENTITY_HEADER] = signIdentity({ kind: 'user', tenantId, userId: randomUUID(), roles: [role], scopes: [], audience: 'integrations' }, SECRET);
  const res = await fetch(app.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return { status: res.status, ...((await res.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] }) };
}

describe('the integrations subgraph', () => {
  it('creates, lists and finds items of the caller’s tenant only', async () => {
    const created = await gql(`mutation($n: String!) { createIntegrationsItem(input: { name: $n }) { id name } }`, { n: 'Hello' });
    expect(created.errors).toBeUndefined();
    const id = created.data.createIntegrationsItem.id;
    expect((await gql(`query($id: ID!) { integrationsItem(id: $id) { name } }`, { id })).data).toEqual({ integrationsItem: { name: 'Hello' } });
    expect((await gql(`{ integrationsItems(first: 10) { totalCount nodes { id } } }`)).data.integrationsItems).toEqual({ totalCount: 1, nodes: [{ id }] });

    // Another tenant sees nothing of it, and its id answers NOT_FOUND.
    expect((await gql(`{ integrationsItems { totalCount } }`, {}, globex)).data.integrationsItems.totalCount).toBe(0);
    expect((await gql(`query($id: ID!) { integrationsItem(id: $id) { name } }`, { id }, globex)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('refuses bad input and read-only roles, and writes nothing', async () => {
    expect((await gql(`mutation { createIntegrationsItem(input: { name: "  " }) { id } }`, {}, globex)).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await gql(`mutation { createIntegrationsItem(input: { name: "x" }) { id } }`, {}, globex, 'ANALYST')).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await gql(`{ integrationsItems { totalCount } }`, {}, globex)).data.integrationsItems.totalCount).toBe(0);
  });

  it('answers only requests the gateway signed', async () => {
    expect((await gql(`{ integrationsItems { totalCount } }`, {}, null)).status).toBe(401);
  });

  it('seeds demo items once per demo tenant', async () => {
    const directory = [acme, globex].map((tenantId) => ({ id: randomUUID(), tenantId, tenantSlug: tenantId, name: 'x', email: `${tenantId}@x.test`, role: 'OWNER', skills: [] }));
    const fresh = await bootstrap(config(`${db.schemaPrefix}s_`), { logger: silent });
    try {
      expect(await subgraph.seed!(fresh, { directory, logger: silent })).toEqual({ seeded: true });
      expect(await subgraph.seed!(fresh, { directory, logger: silent })).toEqual({ seeded: false });
    } finally {
      await fresh.close();
    }
  });
});
