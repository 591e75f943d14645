import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { GatewayApp } from '../src/app';
import { post } from './stack';
import { startSubscriptionStack, until, type LiveClient, type SubscriptionStack } from './subscription-stack';

// Issue 9.3: frame size, subscriptions per socket, sockets per principal and per IP, and
// connects and subscribes charged to the rate limiter.
const MESSAGE_ADDED = `subscription($c: ID!) { messageAdded(conversationId: $c) { id text } }`;

let stack: SubscriptionStack;
const opened: LiveClient[] = [];

beforeAll(async () => {
  stack = await startSubscriptionStack();
}, 60_000);
afterEach(async () => {
  for (const c of opened.splice(0)) await c.dispose();
});
afterAll(async () => {
  await stack?.close();
});

const outcomes = new WeakMap<LiveClient, Promise<'ack' | 'closed'>>();

function open(gateway: GatewayApp, params: Record<string, unknown>): LiveClient {
  const client = stack.connect(gateway, params);
  opened.push(client);
  outcomes.set(client, new Promise((resolve) => {
    client.client.on('connected', () => resolve('ack'));
    client.client.on('closed', () => resolve('closed'));
  }));
  return client;
}

async function connect(gateway: GatewayApp, email = 'agent@acme.test'): Promise<LiveClient> {
  return open(gateway, { authorization: `Bearer ${await stack.token(email)}` });
}

/** Resolves once the socket is acknowledged (the server accepted connection_init), or closed. */
function acknowledged(client: LiveClient): Promise<'ack' | 'closed'> {
  return outcomes.get(client)!;
}

const code = (s: { errors: unknown[] }) => (s.errors[0] as { extensions?: Record<string, unknown> }[])[0]?.extensions;

/**
 * A raw WebSocket handshake, then one text frame whose header announces `announced` bytes,
 * of which only `sent` follow: resolves with the close code the server sends back.
 */
async function oversizeFrame(url: string, announced: number, sent: number): Promise<{ code: number; bytesSent: number }> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(
    `GET /graphql HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n`,
  );
  let buffer = Buffer.alloc(0);
  let upgraded = false;
  return new Promise((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!buffer.subarray(0, end).toString().startsWith('HTTP/1.1 101')) return reject(new Error(buffer.toString()));
        upgraded = true;
        buffer = buffer.subarray(end + 4);
        // FIN + text; masked, 64-bit length; then a mask and the first `sent` bytes of `{"type":"connection_init",…`.
        const header = Buffer.alloc(14);
        header[0] = 0x81;
        header[1] = 0x80 | 127;
        header.writeBigUInt64BE(BigInt(announced), 2);
        const payload = Buffer.from(`{"type":"connection_init","payload":{"x":"${'a'.repeat(sent)}`).subarray(0, sent);
        socket.write(Buffer.concat([header, payload])); // mask 0000: the payload goes as it is
      }
      // The server's close frame: 0x88, length, then the code.
      if (upgraded && buffer.length >= 4 && buffer[0] === 0x88) {
        resolve({ code: buffer.readUInt16BE(2), bytesSent: sent });
        socket.destroy();
      }
    });
  });
}

describe('WebSocket limits', () => {
  it('closes a socket whose connection_init frame is over the frame limit with 1009, before reading it', async () => {
    const gateway = await stack.startGateway({ SUBSCRIPTION_MAX_PAYLOAD_BYTES: 256 * 1024 });
    const connections = gateway.subscriptions!.stats().connections;
    // 50 MB announced, 16 KB sent: the answer comes from the frame header alone.
    await expect(oversizeFrame(gateway.url, 50 * 1024 * 1024, 16 * 1024)).resolves.toEqual({ code: 1009, bytesSent: 16 * 1024 });
    expect(gateway.subscriptions!.stats().connections).toBe(connections);
    // A normal connection_init is well under it.
    expect(await acknowledged(await connect(gateway))).toBe('ack');
    await gateway.close();
  });

  it('refuses the N+1th subscription on a socket with RATE_LIMITED, and frees the slot when one completes', async () => {
    const gateway = await stack.startGateway({ SUBSCRIPTIONS_PER_SOCKET: 3 });
    const client = await connect(gateway);
    const subs = [0, 1, 2].map(() => client.subscribe(MESSAGE_ADDED, { c: stack.conversations.acme }));
    await until(() => gateway.subscriptions!.stats().subscribers === 3 || subs.some((s) => s.errors.length > 0), 'three subscriptions');
    expect(subs.map((s) => s.errors)).toEqual([[], [], []]);
    const fourth = client.subscribe(MESSAGE_ADDED, { c: stack.conversations.acme });
    await until(() => fourth.errors.length > 0, 'the refusal');
    expect(code(fourth)).toEqual({ code: 'RATE_LIMITED', bucket: 'subscriptionsPerSocket', limit: 3 });
    subs[0]!.dispose();
    await until(() => gateway.subscriptions!.stats().subscribers === 2, 'the completion');
    const again = client.subscribe(MESSAGE_ADDED, { c: stack.conversations.acme });
    await until(() => gateway.subscriptions!.stats().subscribers === 3 || again.errors.length > 0, 'the slot to be reused');
    expect(again.errors).toEqual([]);
    expect(client.closes).toEqual([]);
    await gateway.close();
  });

  it('closes the N+1th socket of a principal with 4429; other principals and freed slots are unaffected', async () => {
    const gateway = await stack.startGateway({ SUBSCRIPTION_SOCKETS_PER_PRINCIPAL: 2 });
    const first = await connect(gateway);
    const second = await connect(gateway);
    expect([await acknowledged(first), await acknowledged(second)]).toEqual(['ack', 'ack']);
    const third = await connect(gateway);
    expect(await acknowledged(third)).toBe('closed');
    expect(third.closes[0]).toEqual({ code: 4429, reason: 'Too many sockets for these credentials (at most 2)' });
    expect(await acknowledged(await connect(gateway, 'supervisor@acme.test'))).toBe('ack');
    await first.dispose();
    await until(() => gateway.subscriptions!.stats().connections === 2, 'the first socket to go');
    expect(await acknowledged(await connect(gateway))).toBe('ack');
    await gateway.close();
  });

  it('closes the N+1th socket from one IP with 4429, whoever it authenticates as', async () => {
    const gateway = await stack.startGateway({ SUBSCRIPTION_SOCKETS_PER_IP: 3 });
    const sockets = [await connect(gateway, 'agent@acme.test'), await connect(gateway, 'agent2@acme.test'), await connect(gateway, 'agent@globex.test')];
    expect(await Promise.all(sockets.map(acknowledged))).toEqual(['ack', 'ack', 'ack']);
    const fourth = await connect(gateway, 'supervisor@acme.test');
    expect(await acknowledged(fourth)).toBe('closed');
    expect(fourth.closes[0]).toEqual({ code: 4429, reason: 'Too many sockets from this address (at most 3)' });
    await gateway.close();
  });

  it('charges connects and subscribes to the rate-limit buckets: RATE_LIMITED per subscription, 4429 per connect', async () => {
    const frozen = Date.now();
    // 1 % of the tenant plan per key, and a clock that stands still: the bucket never refills.
    const gateway = await stack.startGateway({ RATE_LIMIT_API_KEY_SHARE: 1, SUBSCRIPTIONS_PER_SOCKET: 1_000 }, { now: () => frozen });
    const owner = await stack.base.as('admin@acme.test');
    const created = await stack.base.gql(`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`, { input: { name: `ws limits ${randomBytes(3).toString('hex')}`, kind: 'FIRST_PARTY', scopes: ['tenant:read'] } }, owner);
    const apiKey = created.data.createApiKey.secret as string;
    const probe = await post(gateway.url, { query: '{ __typename }' }, { 'x-api-key': apiKey });
    const remaining = Number(probe.headers.get('x-ratelimit-remaining'));
    expect(Number(probe.headers.get('x-ratelimit-limit'))).toBeGreaterThan(remaining);
    const client = open(gateway, { apiKey });
    expect(await acknowledged(client)).toBe('ack'); // the connect takes one
    // Each subscribe takes one, even one that then fails validation.
    const subs = Array.from({ length: remaining - 1 }, () => client.subscribe(`subscription { nope }`));
    await until(() => subs.every((s) => s.errors.length > 0), 'the subscriptions to be answered');
    expect(new Set(subs.map((s) => code(s)?.code))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
    const over = client.subscribe(MESSAGE_ADDED, { c: stack.conversations.acme });
    await until(() => over.errors.length > 0, 'the rate-limited subscription');
    expect(code(over)).toMatchObject({ code: 'RATE_LIMITED', bucket: 'apiKey', retryAfter: expect.any(Number) });
    const another = open(gateway, { apiKey });
    expect(await acknowledged(another)).toBe('closed');
    expect(another.closes[0]!.code).toBe(4429);
    expect(another.closes[0]!.reason).toMatch(/^RATE_LIMITED: apiKey/);
    await gateway.close();
  });

  it('charges every connect to its address before looking the credential up: guesses are throttled', async () => {
    const frozen = Date.now();
    const gateway = await stack.startGateway({ RATE_LIMIT_ANONYMOUS_PER_MINUTE: 3 }, { now: () => frozen });
    const guesses = [0, 1, 2].map(() => open(gateway, { apiKey: `sb_guess_${randomBytes(8).toString('hex')}` }));
    expect(await Promise.all(guesses.map(acknowledged))).toEqual(['closed', 'closed', 'closed']);
    expect(guesses.map((g) => g.closes[0]!.code)).toEqual([4403, 4403, 4403]);
    // The address's bucket is empty now: even a valid credential is refused before it is looked up.
    const valid = await connect(gateway);
    expect(await acknowledged(valid)).toBe('closed');
    expect(valid.closes[0]!.code).toBe(4429);
    expect(valid.closes[0]!.reason).toMatch(/^RATE_LIMITED: ip \(3 per minute\)/);
    await gateway.close();
  });
});
