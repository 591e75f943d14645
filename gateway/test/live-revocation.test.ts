import { PRINCIPALS_CHANNEL } from '@switchboard/kit';
import { ApiKey } from '@switchboard/tenants/src/modules/api-keys/api-key.entity';
import { randomBytes } from 'node:crypto';
import type { GatewayApp } from '../src/app';
import { startSubscriptionStack, until, type LiveClient, type SubscriptionStack } from './subscription-stack';

// Issue 9.4: the tenants subgraph's principal-change notices cut live sockets at once. The
// gateways here never re-check on a timer (SUBSCRIPTION_REAUTH_SECONDS=0), so only a notice
// can close them.
const MESSAGE_ADDED = `subscription($c: ID!) { messageAdded(conversationId: $c) { id text } }`;

let stack: SubscriptionStack;
let gateway: GatewayApp;
const opened: LiveClient[] = [];

beforeAll(async () => {
  stack = await startSubscriptionStack();
  gateway = await stack.startGateway({ SUBSCRIPTION_REAUTH_SECONDS: 0 });
}, 60_000);
afterEach(async () => {
  for (const c of opened.splice(0)) await c.dispose();
});
afterAll(async () => {
  await stack?.close();
});

async function createKey(): Promise<{ id: string; secret: string }> {
  const owner = await stack.base.as('admin@acme.test');
  const res = await stack.base.gql(
    `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id } } }`,
    { input: { name: `live revoke ${randomBytes(3).toString('hex')}`, kind: 'FIRST_PARTY', scopes: ['conversations:read'] } },
    owner,
  );
  return { id: res.data.createApiKey.apiKey.id, secret: res.data.createApiKey.secret };
}

/** A socket with one live subscription, registered in the gateway before this resolves. */
async function live(params: Record<string, unknown>) {
  const client = stack.connect(gateway, params);
  opened.push(client);
  const before = gateway.subscriptions!.stats().subscribers;
  const sub = client.subscribe(MESSAGE_ADDED, { c: stack.conversations.acme });
  await until(() => gateway.subscriptions!.stats().subscribers > before || sub.errors.length > 0, 'the subscription to register');
  expect(sub.errors).toEqual([]);
  return { client, sub };
}

describe('revocation cuts live sockets at once', () => {
  it('closes the socket of a revoked API key with 4403; other sockets stay open and keep receiving', async () => {
    const key = await createKey();
    const { client, sub } = await live({ apiKey: key.secret });
    const bystander = await live({ authorization: `Bearer ${await stack.token('agent@acme.test')}` });
    const owner = await stack.base.as('admin@acme.test');
    const revoked = await stack.base.gql(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: key.id }, owner);
    expect(revoked.errors).toBeUndefined();
    await until(() => client.closes.length > 0, 'the revoked key’s socket to close');
    expect(client.closes[0]).toEqual({ code: 4403, reason: 'Forbidden' });
    await stack.send(gateway, 'admin@acme.test', stack.conversations.acme, 'after the revocation');
    await until(() => bystander.sub.results.length === 1, 'the bystander’s event');
    expect(sub.results).toEqual([]);
    expect(bystander.client.closes).toEqual([]);
  });

  it('closes the socket of a user whose role changed with 4403', async () => {
    const agent2 = stack.users['agent2@acme.test']!;
    const { client } = await live({ authorization: `Bearer ${await stack.token('agent2@acme.test')}` });
    const bystander = await live({ authorization: `Bearer ${await stack.token('supervisor@acme.test')}` });
    const admin = await stack.base.as('admin@acme.test');
    const changed = await stack.base.gql(`mutation($id: ID!) { updateUserRole(id: $id, role: SUPERVISOR) { role } }`, { id: agent2.id }, admin);
    expect(changed.errors).toBeUndefined();
    try {
      await until(() => client.closes.length > 0, 'the socket to close');
      expect(client.closes[0]!.code).toBe(4403);
      expect(bystander.client.closes).toEqual([]);
      // The same credentials connect again, with the new role.
      const again = await live({ authorization: `Bearer ${await stack.token('agent2@acme.test')}` });
      expect(again.client.closes).toEqual([]);
    } finally {
      await stack.base.gql(`mutation($id: ID!) { updateUserRole(id: $id, role: AGENT) { role } }`, { id: agent2.id }, admin);
    }
  });

  const withRedis = process.env.REDIS_URL ? it : it.skip;
  withRedis('hears the notice through Redis too (another process revoked the key)', async () => {
    const key = await createKey();
    const { client } = await live({ apiKey: key.secret });
    // The row changes and the notice arrives on Redis only, as from a tenants replica elsewhere.
    await stack.base.tenants.orm.em.fork().nativeUpdate(ApiKey, { id: key.id }, { revokedAt: new Date() }, { filters: false });
    await stack.redis!.publish(PRINCIPALS_CHANNEL, JSON.stringify({ apiKeyId: key.id }));
    await until(() => client.closes.length > 0, 'the socket to close');
    expect(client.closes[0]!.code).toBe(4403);
  });
});
