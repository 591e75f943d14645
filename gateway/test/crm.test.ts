import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { codes, startStack, type Stack } from './stack';

/**
 * The CRM connector (issue 14): contacts synced both ways with HubSpot's CRM v3 contacts API,
 * against a local fake of it that the test starts; conflicts go to the later change.
 */

interface FakeContact {
  id: string;
  properties: Record<string, string>;
  updatedAt: string;
}

/** A fake of HubSpot's contacts API: create, read, update, search (email EQ, lastmodifieddate GTE), Bearer tokens. */
async function fakeHubSpot(token: string) {
  const contacts = new Map<string, FakeContact>();
  const writes: { method: string; id: string; properties: Record<string, string> }[] = [];
  let next = 501;
  const put = (id: string, properties: Record<string, string>, at = new Date()) => {
    const before = contacts.get(id);
    const c = { id, properties: { ...(before?.properties ?? {}), ...properties, lastmodifieddate: at.toISOString() }, updatedAt: at.toISOString() };
    contacts.set(id, c);
    return c;
  };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.headers.authorization !== `Bearer ${token}`) return send(401, { status: 'error', message: 'Authentication credentials not found.', category: 'INVALID_AUTHENTICATION' });
      const url = new URL(req.url!, 'http://fake');
      const body = raw ? JSON.parse(raw) : {};
      const one = url.pathname.match(/^\/crm\/v3\/objects\/contacts\/(\d+)$/);
      if (req.method === 'POST' && url.pathname === '/crm/v3/objects/contacts') {
        const email = body.properties?.email;
        const dup = email && [...contacts.values()].find((c) => c.properties.email === email);
        if (dup) return send(409, { status: 'error', message: `Contact already exists. Existing ID: ${dup.id}`, category: 'CONFLICT' });
        const id = String(next++);
        writes.push({ method: 'POST', id, properties: body.properties });
        return send(201, put(id, body.properties));
      }
      if (one && req.method === 'GET') return contacts.has(one[1]!) ? send(200, contacts.get(one[1]!)) : send(404, { status: 'error', category: 'OBJECT_NOT_FOUND' });
      if (one && req.method === 'PATCH') {
        if (!contacts.has(one[1]!)) return send(404, { status: 'error', category: 'OBJECT_NOT_FOUND' });
        writes.push({ method: 'PATCH', id: one[1]!, properties: body.properties });
        return send(200, put(one[1]!, body.properties));
      }
      if (req.method === 'POST' && url.pathname === '/crm/v3/objects/contacts/search') {
        const filters: { propertyName: string; operator: string; value: string }[] = body.filterGroups?.[0]?.filters ?? [];
        let found = [...contacts.values()].filter((c) =>
          filters.every((f) =>
            f.propertyName === 'lastmodifieddate' && f.operator === 'GTE' ? Date.parse(c.updatedAt) >= Number(f.value) : f.operator === 'EQ' ? c.properties[f.propertyName] === f.value : false,
          ),
        );
        found.sort((a, b) => Date.parse(a.updatedAt) - Date.parse(b.updatedAt));
        const start = Number(body.after ?? 0);
        const limit = body.limit ?? 10;
        const page = found.slice(start, start + limit);
        return send(200, { total: found.length, results: page, ...(start + limit < found.length ? { paging: { next: { after: String(start + limit) } } } : {}) });
      }
      send(404, { status: 'error', category: 'OBJECT_NOT_FOUND' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    contacts,
    writes,
    /** A change made in HubSpot by someone (at `at`). */
    edit: (id: string, properties: Record<string, string>, at?: Date) => put(id, properties, at),
    add: (properties: Record<string, string>, at?: Date) => put(String(next++), properties, at),
    byEmail: (email: string) => [...contacts.values()].find((c) => c.properties.email === email),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, tries = 400): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const TOKEN = 'pat-na1-test-token';
let stack: Stack;
let hubspot: Awaited<ReturnType<typeof fakeHubSpot>>;
let admin: Record<string, string>;
let agent: Record<string, string>;
let connectorId: string;

const START = `mutation($input: StartConversationInput!) { startConversation(input: $input) { id contact { id } } }`;
const CONTACT = `query($id: ID!) { contact(id: $id) { id name email phone updatedAt } }`;
const SAVE = `mutation($input: SaveContactInput!) { saveContact(input: $input) { created applied contact { id name email phone updatedAt } } }`;
const SYNC = `mutation($id: ID!) { syncCrmConnector(id: $id) { pushed pulled conflicts } }`;

async function contactOf(id: string, as = admin) {
  const res = await stack.gql(CONTACT, { id }, as);
  expect(res.errors).toBeUndefined();
  return res.data.contact as { id: string; name: string | null; email: string | null; phone: string | null; updatedAt: string };
}

async function startWith(contact: Record<string, string>, as = agent): Promise<string> {
  const res = await stack.gql(START, { input: { channel: 'WEB', contact, text: 'hello' } }, as);
  expect(res.errors).toBeUndefined();
  return res.data.startConversation.contact.id;
}

async function sync() {
  const res = await stack.gql(SYNC, { id: connectorId }, admin);
  expect(res.errors).toBeUndefined();
  return res.data.syncCrmConnector as { pushed: number; pulled: number; conflicts: number };
}

beforeAll(async () => {
  hubspot = await fakeHubSpot(TOKEN);
  stack = await startStack({ subgraphs: ['integrations', 'conversations'], subgraphEnv: { integrations: { HUBSPOT_API_BASE_URL: hubspot.url } } });
  admin = await stack.as('admin@acme.test');
  agent = await stack.as('agent@acme.test');
  const res = await stack.gql(`mutation($input: CrmConnectorInput!) { createCrmConnector(input: $input) { id provider status lastSyncAt lastError } }`, { input: { provider: 'HUBSPOT', accessToken: TOKEN } }, admin);
  expect(res.errors).toBeUndefined();
  expect(res.data.createCrmConnector).toMatchObject({ provider: 'HUBSPOT', status: 'ACTIVE', lastSyncAt: null, lastError: null });
  connectorId = res.data.createCrmConnector.id;
});
afterAll(async () => {
  await stack?.close();
  await hubspot?.close();
});

describe('CRM contact sync with HubSpot', () => {
  it('only OWNER/ADMIN manage connectors; the token is never shown', async () => {
    const res = await stack.gql(`mutation { createCrmConnector(input: { provider: HUBSPOT, accessToken: "pat-na1-agent" }) { id } }`, {}, agent);
    expect(codes(res)).toEqual(['FORBIDDEN']);
    const list = await stack.gql(`{ crmConnectors { id provider status } }`, {}, admin);
    expect(list.data.crmConnectors).toEqual([{ id: connectorId, provider: 'HUBSPOT', status: 'ACTIVE' }]);
    expect(JSON.stringify(list)).not.toContain(TOKEN);
    expect(codes(await stack.gql(`mutation { createCrmConnector(input: { provider: HUBSPOT, accessToken: "short" }) { id } }`, {}, admin))).toEqual(['BAD_USER_INPUT']);
  });

  it('a new contact of ours is created in HubSpot, once, with its name split into firstname and lastname', async () => {
    const id = await startWith({ name: 'Ana María López', email: 'ana.crm@example.com', phone: '+34600111222' });
    const remote = await until('the contact in HubSpot', () => hubspot.byEmail('ana.crm@example.com'));
    expect(remote.properties).toMatchObject({ firstname: 'Ana', lastname: 'María López', phone: '+34600111222' });
    // A second conversation with the same contact's changes: still one HubSpot contact.
    await stack.gql(SAVE, { input: { id, phone: '+34600999888' } }, agent);
    await until('the change in HubSpot', () => hubspot.byEmail('ana.crm@example.com')?.properties.phone === '+34600999888');
    expect([...hubspot.contacts.values()].filter((c) => c.properties.email === 'ana.crm@example.com')).toHaveLength(1);
    expect(hubspot.writes.filter((w) => w.method === 'POST' && w.properties.email === 'ana.crm@example.com')).toHaveLength(1);
  });

  it('a change made in HubSpot is pulled into our contact, and not echoed back', async () => {
    const id = await startWith({ name: 'Bo Berg', email: 'bo.crm@example.com' });
    const remote = await until('the contact in HubSpot', () => hubspot.byEmail('bo.crm@example.com'));
    const writesBefore = hubspot.writes.length;
    hubspot.edit(remote.id, { phone: '+4670111', lastname: 'Bergström' });
    expect(await sync()).toMatchObject({ pulled: 1, conflicts: 0 });
    expect(await contactOf(id)).toMatchObject({ name: 'Bo Bergström', phone: '+4670111', email: 'bo.crm@example.com' });
    // Our contact.updated event comes back to the sync: it recognises its own write and sends nothing.
    expect(await sync()).toEqual({ pushed: 0, pulled: 0, conflicts: 0 });
    await new Promise((r) => setTimeout(r, 300));
    expect(hubspot.writes.length).toBe(writesBefore);
  });

  it('a contact created in HubSpot becomes one of ours (matched by email when we have it)', async () => {
    hubspot.add({ email: 'cy.crm@example.com', firstname: 'Cy', lastname: 'Crm', phone: '+1555' });
    const existing = await startWith({ name: 'Dee', email: 'dee.crm@example.com' });
    await until('Dee in HubSpot', () => hubspot.byEmail('dee.crm@example.com'));
    const result = await sync();
    expect(result.pulled).toBeGreaterThanOrEqual(1);
    // Cy exists here now: saving the same email with matchEmail finds it instead of creating one.
    const found = await stack.gql(SAVE, { input: { matchEmail: true, email: 'cy.crm@example.com', name: 'Cy Crm' } }, agent);
    expect(found.errors).toBeUndefined();
    expect(found.data.saveContact).toMatchObject({ created: false, applied: false, contact: { name: 'Cy Crm', phone: '+1555' } });
    expect((await contactOf(existing)).name).toBe('Dee');
  });

  it('changed on both sides: the later change wins, whichever side made it', async () => {
    const id = await startWith({ name: 'Eve Early', email: 'eve.crm@example.com' });
    const remote = await until('Eve in HubSpot', () => hubspot.byEmail('eve.crm@example.com'));
    await sync();
    // Ours changes first, HubSpot's change comes later: HubSpot's wins.
    const ours = await stack.gql(SAVE, { input: { id, phone: '+100' } }, agent);
    expect(ours.data.saveContact.applied).toBe(true);
    const later = new Date(Date.parse(ours.data.saveContact.contact.updatedAt) + 2_000);
    hubspot.edit(remote.id, { phone: '+200' }, later);
    await until('HubSpot’s later phone here', async () => (await sync(), (await contactOf(id)).phone === '+200'));
    await until('HubSpot keeps its phone', () => hubspot.contacts.get(remote.id)!.properties.phone === '+200');

    // HubSpot changes first (earlier than ours), ours comes later: ours wins and is written to HubSpot.
    hubspot.edit(remote.id, { phone: '+300' }, new Date(later.getTime() + 1_000));
    const mine = await stack.gql(SAVE, { input: { id, phone: '+400', modifiedAt: new Date(later.getTime() + 3_000).toISOString() } }, agent);
    expect(mine.data.saveContact.applied).toBe(true);
    await sync();
    await until('our later phone in HubSpot', () => hubspot.contacts.get(remote.id)!.properties.phone === '+400');
    expect((await contactOf(id)).phone).toBe('+400');

    // An older change never overwrites a newer one on our side either.
    const stale = await stack.gql(SAVE, { input: { id, phone: '+999', modifiedAt: new Date(later.getTime() - 60_000).toISOString() } }, agent);
    expect(stale.data.saveContact).toMatchObject({ applied: false, contact: { phone: '+400' } });
  });

  it('another tenant’s contacts never reach this tenant’s CRM; a refused token stops the connector with the reason', async () => {
    const globex = await stack.as('admin@globex.test');
    const other = await stack.gql(`mutation { createCrmConnector(input: { provider: HUBSPOT, accessToken: "pat-na1-revoked" }) { id } }`, {}, globex);
    expect(other.errors).toBeUndefined();
    const res = await stack.gql(SYNC, { id: other.data.createCrmConnector.id }, globex);
    expect(codes(res)).toEqual(['UPSTREAM_UNAVAILABLE']);
    const list = await stack.gql(`{ crmConnectors { status lastError } }`, {}, globex);
    expect(list.data.crmConnectors[0]).toMatchObject({ status: 'ERROR', lastError: expect.stringContaining('401') });
    await startWith({ name: 'Gus Globex', email: 'gus.crm@example.com' }, globex);
    // acme's connector is not globex's to sync.
    expect(codes(await stack.gql(SYNC, { id: connectorId }, globex))).toEqual(['NOT_FOUND']);
    await startWith({ name: 'Flag', email: 'flag.crm@example.com' });
    await until('acme’s later contact in HubSpot', () => hubspot.byEmail('flag.crm@example.com'));
    expect(hubspot.byEmail('gus.crm@example.com')).toBeUndefined();
  });
});
