import { busFor, createLogger, IDENTITY_HEADER, signIdentity, type DomainEvent, type Role } from '@switchboard/kit';
import { testDatabase } from '@switchboard/kit/src/testing';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { bootstrap, readIntegrationsConfig, type IntegrationsApp } from '../src/app';

/**
 * SSRF rules with WEBHOOK_ALLOW_PRIVATE_URLS off, through the subgraph (signed identity, as
 * the gateway sends it), with name resolution injected: a hosts map stands in for DNS.
 */
const db = testDatabase();
const silent = createLogger({}, 'silent');
const SECRET = 'integrations-test-internal-secret';
const hosts: Record<string, string[]> = {
  'public.example': ['93.184.216.34'],
  'internal.example': ['10.0.0.5'],
  'mixed.example': ['93.184.216.34', '192.168.1.10'],
  'v6-loopback.example': ['::1'],
  'metadata.example': ['169.254.169.254'],
  'rebind.example': ['93.184.216.34'],
};
const resolve = async (name: string) => {
  const list = hosts[name];
  if (!list) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
  return list.map((address) => ({ address, family: (address.includes(':') ? 6 : 4) as 4 | 6 }));
};
const acme = randomUUID();
const bus = busFor(undefined, `test:${randomUUID()}`);
let app: IntegrationsApp;

beforeAll(async () => {
  const config = readIntegrationsConfig({
    INTEGRATIONS_PORT: '0',
    HOST: '127.0.0.1',
    DB_SCHEMA_PREFIX: db.schemaPrefix,
    INTERNAL_SECRET: SECRET,
    WEBHOOK_ALLOW_HTTP: 'true',
    WEBHOOK_ALLOW_PRIVATE_URLS: 'false',
    WEBHOOK_RETRY_BASE_MS: '100000',
    WEBHOOK_POLL_MS: '20',
  });
  app = await bootstrap({ ...config, DATABASE_URL: db.url }, { logger: silent, bus, resolve });
});
afterAll(async () => {
  await app?.close();
  await bus.close();
  await db.drop();
});

async function gql(query: string, variables: Record<string, unknown> = {}, role: Role = 'OWNER') {
  const headers = { 'content-type': 'application/json', [IDENTITY_HEADER]: signIdentity({ kind: 'user', tenantId: acme, userId: randomUUID(), roles: [role], scopes: [], audience: 'integrations' }, SECRET) };
  const res = await fetch(app.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string; field?: string } }[] };
}

const CREATE = `mutation($url: String!) { createWebhookEndpoint(input: { url: $url, events: ["ticket.created"] }) { endpoint { id } } }`;

describe('webhook URLs with private targets refused', () => {
  it.each([
    ['http://127.0.0.1/h'],
    ['http://not-in-the-map.example/h'],
    ['http://internal.example/h'],
    ['http://mixed.example/h'],
    ['http://v6-loopback.example/h'],
    ['http://[::1]/h'],
    ['http://[::ffff:127.0.0.1]/h'],
    ['http://10.0.0.1/h'],
    ['http://169.254.169.254/latest/meta-data'],
    ['http://metadata.example/h'],
    ['http://[fd00:ec2::254]/h'],
    ['file:///etc/passwd'],
    ['gopher://public.example/h'],
  ])('refuses %s with BAD_USER_INPUT naming url', async (url) => {
    const res = await gql(CREATE, { url });
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'url' });
  });

  it('accepts a public name, and refuses it at delivery once it resolves to a private address (DNS rebinding)', async () => {
    let hits = 0;
    const local = http.createServer((_req, res) => {
      hits++;
      res.end();
    });
    await new Promise<void>((r) => local.listen(0, '127.0.0.1', r));
    try {
      const port = (local.address() as AddressInfo).port;
      const created = await gql(CREATE, { url: `http://rebind.example:${port}/h` });
      expect(created.errors).toBeUndefined();
      const id = created.data.createWebhookEndpoint.endpoint.id;
      hosts['rebind.example'] = ['127.0.0.1'];
      const event: DomainEvent = { id: randomUUID(), type: 'ticket.created', tenantId: acme, occurredAt: new Date().toISOString(), data: { id: randomUUID() } };
      await bus.publish([event]);
      let attempts: { error: string | null }[] = [];
      for (let i = 0; i < 200 && !attempts.length; i++) {
        await new Promise((r) => setTimeout(r, 25));
        const log = await gql(`query($id: ID!) { webhookDeliveries(endpointId: $id) { nodes { status attempts { error responseStatus } } } }`, { id });
        attempts = log.data.webhookDeliveries.nodes[0]?.attempts ?? [];
      }
      expect(attempts[0]).toMatchObject({ responseStatus: null });
      expect(attempts[0]!.error).toMatch(/refused: .*127\.0\.0\.1 is a private/);
      expect(hits).toBe(0);
    } finally {
      await new Promise<void>((r) => local.close(() => r()));
    }
  });

  it('is OWNER/ADMIN only', async () => {
    expect((await gql(CREATE, { url: 'http://public.example/h' }, 'SUPERVISOR')).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
