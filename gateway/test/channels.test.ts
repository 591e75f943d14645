import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startStack, type Stack } from './stack';

/**
 * Inbound channels through the gateway (issue 14): WhatsApp Cloud API and Slack Events
 * webhooks at `/webhooks/<channel>/<id>`, signatures checked, messages stored once as the
 * CUSTOMER, agent replies sent back through a local fake of each provider's send API.
 */

/** A fake of both send APIs: records what it was sent. */
async function fakeProviders() {
  const sent: { path: string; authorization?: string; body: any }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      sent.push({ path: req.url!, authorization: req.headers.authorization, body: JSON.parse(body) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.url!.startsWith('/api/') ? JSON.stringify({ ok: true, ts: '1.2' }) : JSON.stringify({ messages: [{ id: 'wamid.out' }] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sent, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, tries = 400): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

let stack: Stack;
let providers: Awaited<ReturnType<typeof fakeProviders>>;
let admin: Record<string, string>;
let agent: Record<string, string>;
const base = () => stack.gateway.url.replace(/\/graphql$/, '');

beforeAll(async () => {
  providers = await fakeProviders();
  stack = await startStack({
    subgraphs: ['integrations', 'conversations'],
    subgraphEnv: { integrations: { WHATSAPP_API_BASE_URL: providers.url, SLACK_API_BASE_URL: providers.url } },
  });
  admin = await stack.as('admin@acme.test');
  agent = await stack.as('agent@acme.test');
});
afterAll(async () => {
  await stack?.close();
  await providers?.close();
});

const CREATE = `mutation($input: ChannelConnectorInput!) { createChannelConnector(input: $input) { id channel inboundUrl status } }`;

async function conversationsOn(channel: string) {
  const res = await stack.gql(`query($c: [Channel!]) { conversations(filter: { channel: $c }, first: 50) { totalCount nodes { id contact { name phone } messages(last: 20) { nodes { id text authorKind } } } } }`, { c: [channel] }, admin);
  expect(res.errors).toBeUndefined();
  return res.data.conversations as { totalCount: number; nodes: { id: string; contact: { name: string | null; phone: string | null }; messages: { nodes: { id: string; text: string; authorKind: string }[] } }[] };
}

function post(path: string, body: string, headers: Record<string, string>) {
  return fetch(`${base()}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

describe('WhatsApp Cloud API inbound', () => {
  const APP_SECRET = 'whatsapp-app-secret-1';
  const VERIFY = 'verify-token-1';
  let path: string;
  const before = { count: 0 };

  beforeAll(async () => {
    const res = await stack.gql(CREATE, { input: { channel: 'WHATSAPP', appSecret: APP_SECRET, verifyToken: VERIFY, externalAccountId: '1234567890', accessToken: 'EAAG-test-token' } }, admin);
    expect(res.errors).toBeUndefined();
    const c = res.data.createChannelConnector;
    expect(c).toMatchObject({ channel: 'WHATSAPP', status: 'ACTIVE' });
    path = new URL(c.inboundUrl).pathname;
    expect(path).toBe(`/webhooks/whatsapp/${c.id}`);
    before.count = (await conversationsOn('WHATSAPP')).totalCount;
  });

  const notification = (id: string, text: string) =>
    JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: 'WABA', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { phone_number_id: '1234567890' }, contacts: [{ profile: { name: 'Ana' }, wa_id: '34600111222' }], messages: [{ from: '34600111222', id, timestamp: '1700000000', type: 'text', text: { body: text } }] } }] }],
    });
  const sign = (body: string, secret = APP_SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

  it('answers the subscription handshake with hub.challenge, and refuses a wrong verify token', async () => {
    const ok = await fetch(`${base()}${path}?hub.mode=subscribe&hub.verify_token=${VERIFY}&hub.challenge=1158201444`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('1158201444');
    expect((await fetch(`${base()}${path}?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1`)).status).toBe(403);
  });

  it('refuses a bad signature with 401 and stores nothing', async () => {
    const body = notification('wamid.bad', 'forged');
    expect((await post(path, body, { 'x-hub-signature-256': sign(body, 'another-secret') })).status).toBe(401);
    expect((await post(path, body, {})).status).toBe(401);
    expect((await conversationsOn('WHATSAPP')).totalCount).toBe(before.count);
  });

  it('stores a signed message once as the CUSTOMER (a provider retry stores nothing new), and sends agent replies back', async () => {
    const body = notification('wamid.HBgLMzQ2', 'Hola, my order is late');
    expect((await post(path, body, { 'x-hub-signature-256': sign(body) })).status).toBe(200);
    expect((await post(path, body, { 'x-hub-signature-256': sign(body) })).status).toBe(200); // the provider's retry
    const list = await conversationsOn('WHATSAPP');
    expect(list.totalCount).toBe(before.count + 1);
    const conversation = list.nodes.find((n) => n.messages.nodes.some((m) => m.text === 'Hola, my order is late'))!;
    expect(conversation.contact).toMatchObject({ name: 'Ana', phone: '+34600111222' });
    expect(conversation.messages.nodes.filter((m) => m.authorKind === 'CUSTOMER').map((m) => m.text)).toEqual(['Hola, my order is late']);

    // A second message of the same sender goes to the same conversation.
    const next = notification('wamid.second', 'Any news?');
    expect((await post(path, next, { 'x-hub-signature-256': sign(next) })).status).toBe(200);
    expect((await conversationsOn('WHATSAPP')).totalCount).toBe(before.count + 1);

    const reply = await stack.gql(`mutation($id: ID!) { sendMessage(input: { conversationId: $id, text: "On its way!" }) { created } }`, { id: conversation.id }, agent);
    expect(reply.errors).toBeUndefined();
    const out = await until('the reply at the send API', () => providers.sent.find((s) => s.path === '/v19.0/1234567890/messages'));
    expect(out.authorization).toBe('Bearer EAAG-test-token');
    expect(out.body).toMatchObject({ messaging_product: 'whatsapp', to: '34600111222', type: 'text', text: { body: 'On its way!' } });
    // Customer messages are not echoed back out.
    expect(providers.sent.filter((s) => s.path.startsWith('/v19.0/'))).toHaveLength(1);
  });
});

describe('Slack Events inbound', () => {
  const SIGNING = 'slack-signing-secret-1';
  let path: string;

  beforeAll(async () => {
    const res = await stack.gql(CREATE, { input: { channel: 'SLACK', appSecret: SIGNING, externalAccountId: 'T0001', accessToken: 'xoxb-test' } }, admin);
    expect(res.errors).toBeUndefined();
    path = new URL(res.data.createChannelConnector.inboundUrl).pathname;
  });

  const signed = (body: string, ts = Math.floor(Date.now() / 1000), secret = SIGNING) => ({
    'x-slack-request-timestamp': String(ts),
    'x-slack-signature': `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`,
  });

  it('answers url_verification with its challenge when signed', async () => {
    const body = JSON.stringify({ token: 'x', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', type: 'url_verification' });
    const res = await post(path, body, signed(body));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' });
  });

  const message = (id: string, text: string) =>
    JSON.stringify({ type: 'event_callback', team_id: 'T0001', event_id: `Ev${id}`, event: { type: 'message', user: 'U123', text, channel: 'C42', ts: '1700000000.000100', client_msg_id: id } });

  it('refuses a bad signature or a timestamp older than 5 minutes with 401, storing nothing', async () => {
    const before = (await conversationsOn('SLACK')).totalCount;
    const body = message('m-bad', 'forged');
    expect((await post(path, body, signed(body, undefined, 'wrong-secret-xyz'))).status).toBe(401);
    expect((await post(path, body, signed(body, Math.floor(Date.now() / 1000) - 301))).status).toBe(401);
    expect((await post(path, body, {})).status).toBe(401);
    expect((await conversationsOn('SLACK')).totalCount).toBe(before);
  });

  it('stores a message once, and an agent reply goes to chat.postMessage', async () => {
    const body = message('m-1', 'Is the API down?');
    expect((await post(path, body, signed(body))).status).toBe(200);
    expect((await post(path, body, { ...signed(body), 'x-slack-retry-num': '1' })).status).toBe(200);
    const list = await conversationsOn('SLACK');
    const conversation = list.nodes.find((n) => n.messages.nodes.some((m) => m.text === 'Is the API down?'))!;
    expect(conversation.messages.nodes.filter((m) => m.text === 'Is the API down?')).toHaveLength(1);
    await stack.gql(`mutation($id: ID!) { sendMessage(input: { conversationId: $id, text: "Looking into it" }) { created } }`, { id: conversation.id }, agent);
    const out = await until('the Slack reply', () => providers.sent.find((s) => s.path === '/api/chat.postMessage'));
    expect(out.authorization).toBe('Bearer xoxb-test');
    expect(out.body).toEqual({ channel: 'C42', text: 'Looking into it' });
  });

  it('is OWNER/ADMIN only', async () => {
    const res = await stack.gql(CREATE, { input: { channel: 'SLACK', appSecret: SIGNING, externalAccountId: 'T0001' } }, agent);
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
