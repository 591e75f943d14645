import { signJwt } from '@switchboard/kit';
import { ApiKey } from '@switchboard/tenants/src/modules/api-keys/api-key.entity';
import { publishLive } from '../src/subscriptions';
import { startSubscriptionStack, until, type SubscriptionStack } from './subscription-stack';

const MESSAGE_ADDED = `subscription($c: ID!) { messageAdded(conversationId: $c) { id text author { name } } }`;

let stack: SubscriptionStack;

beforeAll(async () => {
  stack = await startSubscriptionStack();
}, 60_000);

const opened: { dispose(): Promise<void> }[] = [];
const gateways = () => [stack.gateway, ...extra];
const extra: import('../src/app').GatewayApp[] = [];

afterEach(async () => {
  // Every test starts with no subscriber anywhere, so counts of executions are its own.
  for (const client of opened.splice(0)) await client.dispose();
  await until(() => gateways().every((g) => !g.subscriptions || g.subscriptions.stats().subscribers === 0), 'subscribers to go');
});

afterAll(async () => {
  await stack?.close();
});

/** A subscriber of `gateway` for `email`, registered in the gateway before this resolves. */
async function subscriber(email: string, conversationId: string, gateway = stack.gateway, query = MESSAGE_ADDED) {
  const before = gateway.subscriptions!.stats().subscribers;
  const client = stack.connect(gateway, { authorization: `Bearer ${await stack.token(email)}` });
  opened.push(client);
  const sub = client.subscribe(query, { c: conversationId });
  await until(() => gateway.subscriptions!.stats().subscribers > before || sub.errors.length > 0, 'the subscription to register');
  return { client, sub };
}

describe('subscriptions through the gateway (graphql-ws on /graphql)', () => {
  it('delivers a message sent by another client, with the other subgraph’s fields resolved', async () => {
    const { sub } = await subscriber('agent@acme.test', stack.conversations.acme);
    expect(sub.errors).toEqual([]);
    const sent = await stack.send(stack.gateway, 'admin@acme.test', stack.conversations.acme, 'hello from Ada');
    expect(sent.errors).toBeUndefined();
    await until(() => sub.results.length === 1, 'the event');
    expect(sub.results[0]).toEqual({ data: { messageAdded: { id: sent.data.sendMessage.id, text: 'hello from Ada', author: { name: 'Ada Admin' } } } });
    // The subgraphs saw the subscriber's identity (signed by the gateway), not the sender's.
    const agent = stack.users['agent@acme.test']!;
    expect(stack.chat.identities.at(-1)).toMatchObject({ kind: 'user', userId: agent.id, tenantId: agent.tenantId });
  });

  it('closes a connection with bad, missing, expired or revoked credentials with 4403', async () => {
    const jwtSecret = stack.gateway.config.JWT_SECRET;
    const agent = stack.users['agent@acme.test']!;
    const expired = signJwt({ sub: agent.id, tid: agent.tenantId, role: 'AGENT' }, jwtSecret, 60, Date.now() - 3_600_000).token;
    const forged = signJwt({ sub: agent.id, tid: agent.tenantId, role: 'AGENT' }, 'not-the-secret', 600).token;
    // An API key, then revoked through the standard gateway.
    const owner = await stack.base.as('admin@acme.test');
    const created = await stack.base.gql(
      `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id } } }`,
      { input: { name: 'live test', kind: 'FIRST_PARTY', scopes: ['tenant:read'] } },
      owner,
    );
    expect(created.errors).toBeUndefined();
    const revoked = await stack.base.gql(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: created.data.createApiKey.apiKey.id }, owner);
    expect(revoked.errors).toBeUndefined();

    for (const params of [undefined, {}, { authorization: 'Bearer nonsense' }, { authorization: `Bearer ${expired}` }, { authorization: `Bearer ${forged}` }, { apiKey: 'sb_nope_nope' }, { apiKey: created.data.createApiKey.secret }]) {
      const client = stack.connect(stack.gateway, params);
      const sub = client.subscribe(MESSAGE_ADDED, { c: stack.conversations.acme });
      await until(() => client.closes.length > 0, `a close for ${JSON.stringify(params)}`);
      expect({ params, code: client.closes[0]!.code }).toEqual({ params, code: 4403 });
      expect(sub.results).toEqual([]);
      await client.dispose();
    }
  });

  it('keeps tenants apart: another tenant’s conversation is an error, its events never arrive', async () => {
    // Subscribing as globex to acme's conversation: the subgraph's access check answers NOT_FOUND.
    const { sub: intruder } = await subscriber('agent@globex.test', stack.conversations.acme);
    await until(() => intruder.errors.length > 0, 'the refusal');
    expect(intruder.errors[0]).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'NOT_FOUND' }) })]);

    const { sub: globex } = await subscriber('agent@globex.test', stack.conversations.globex);
    const { sub: acme } = await subscriber('agent@acme.test', stack.conversations.acme);
    const acmeMessage = await stack.send(stack.gateway, 'admin@acme.test', stack.conversations.acme, 'acme only');
    // A forged event on globex's channel that points at acme's message: resolved with the
    // globex subscriber's identity, the chat subgraph answers null, and nothing is sent.
    const globexTenant = stack.users['agent@globex.test']!.tenantId;
    const executions = stack.gateway.subscriptions!.stats().executions;
    await publishLive(stack.redis, globexTenant, {
      field: 'messageAdded',
      args: { conversationId: stack.conversations.globex },
      representation: { __typename: 'Message', id: acmeMessage.data.sendMessage.id },
    });
    await until(() => stack.gateway.subscriptions!.stats().executions > executions, 'the forged event to be resolved');
    const globexMessage = await stack.send(stack.gateway, 'admin@globex.test', stack.conversations.globex, 'globex only');
    await until(() => acme.results.length === 1 && globex.results.length === 1, 'both tenants’ events');
    expect(acme.results.map((r) => r.data.messageAdded.text)).toEqual(['acme only']);
    expect(globex.results).toEqual([{ data: { messageAdded: { id: globexMessage.data.sendMessage.id, text: 'globex only', author: { name: 'Hank Scorpio' } } } }]);
    expect(intruder.results).toEqual([]);
  });

  it('refuses, per subscription, queries over the socket, invalid documents and fields without an @liveAccess rule', async () => {
    const unconfigured = await stack.startGateway({ SUPERGRAPH_PATH: stack.supergraphWithoutAccess });
    extra.push(unconfigured);
    const token = await stack.token('agent@acme.test');
    const client = stack.connect(unconfigured, { authorization: `Bearer ${token}` });
    opened.push(client);
    const noCheck = client.subscribe(MESSAGE_ADDED, { c: stack.conversations.acme });
    const query = client.subscribe(`query($c: ID!) { conversation(id: $c) { title } }`, { c: stack.conversations.acme });
    const invalid = client.subscribe(`subscription { messageAdded(conversationId: "x") { nope } }`);
    await until(() => [noCheck, query, invalid].every((s) => s.errors.length > 0), 'three refusals');
    const code = (s: { errors: unknown[] }) => (s.errors[0] as { extensions?: { code?: string } }[])[0]?.extensions?.code;
    expect([code(noCheck), code(query), code(invalid)]).toEqual(['FORBIDDEN', 'BAD_REQUEST', 'GRAPHQL_VALIDATION_FAILED']);
    expect(client.closes).toEqual([]); // the socket itself stays open
  });

  it('refuses to start when a @liveAccess rule names a Query field or argument that does not exist', async () => {
    for (const [rule, problem] of [
      ['@liveAccess(query: "nope", argument: "conversationId")', 'Subscription.messageAdded: no Query.nope(id)'],
      ['@liveAccess(query: "conversation", argument: "conversationId", queryArgument: "key")', 'Subscription.messageAdded: no Query.conversation(key)'],
      ['@liveAccess(query: "conversation", argument: "nope")', 'Subscription.messageAdded has no argument nope'],
    ]) {
      await expect(stack.startGateway({ SUPERGRAPH_PATH: stack.supergraphWith(rule!) })).rejects.toThrow(problem);
    }
  });

  it('shares one execution per event among subscribers with the same document, variables and identity', async () => {
    const gateway = await stack.startGateway();
    extra.push(gateway);
    const subs: Awaited<ReturnType<typeof subscriber>>["sub"][] = [];
    for (let i = 0; i < 5; i++) subs.push((await subscriber('agent2@acme.test', stack.conversations.acme, gateway)).sub);
    // Someone else (another identity) gets an execution of their own.
    const other = (await subscriber('supervisor@acme.test', stack.conversations.acme, gateway)).sub;
    expect(gateway.subscriptions!.stats()).toMatchObject({ subscribers: 6, groups: 2 });
    const resolutions = stack.chat.entityResolutions;
    const executions = gateway.subscriptions!.stats().executions;
    await stack.send(gateway, 'admin@acme.test', stack.conversations.acme, 'to everyone');
    await until(() => subs.every((s) => s.results.length === 1) && other.results.length === 1, 'every subscriber’s event');
    for (const s of [...subs, other]) expect(s.results[0].data.messageAdded).toMatchObject({ text: 'to everyone', author: { name: 'Ada Admin' } });
    expect(gateway.subscriptions!.stats().executions - executions).toBe(2);
    expect(stack.chat.entityResolutions - resolutions).toBe(2);
  });

  it('re-checks credentials on a timer too (a missed notice): 4403 once the API key is revoked', async () => {
    // No cache, so the timer's re-check asks the tenants subgraph (revocation notices: live-revocation.test.ts).
    const gateway = await stack.startGateway({ SUBSCRIPTION_REAUTH_SECONDS: 1, PRINCIPAL_CACHE_SECONDS: 0 });
    extra.push(gateway);
    const owner = await stack.base.as('admin@acme.test');
    const created = await stack.base.gql(
      `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id } } }`,
      { input: { name: 'live reauth', kind: 'FIRST_PARTY', scopes: ['conversations:read'] } },
      owner,
    );
    const client = stack.connect(gateway, { apiKey: created.data.createApiKey.secret });
    opened.push(client);
    const sub = client.subscribe(MESSAGE_ADDED, { c: stack.conversations.acme });
    await until(() => gateway.subscriptions!.stats().subscribers === 1, 'the subscription to register');
    // Revoked in the table behind the tenants subgraph's back: no notice is sent.
    await stack.base.tenants.orm.em.fork().nativeUpdate(ApiKey, { id: created.data.createApiKey.apiKey.id }, { revokedAt: new Date() }, { filters: false });
    await until(() => client.closes.length > 0, 'the re-check to close the socket', 5_000);
    expect(client.closes[0]!.code).toBe(4403);
    expect(sub.results).toEqual([]);
  });

  const withRedis = process.env.REDIS_URL ? it : it.skip;
  if (!process.env.REDIS_URL) console.log('REDIS_URL is not set: the two-gateway Redis fan-out test is skipped (in-process fan-out only).');
  withRedis('delivers through every gateway replica when fan-out goes through Redis', async () => {
    const second = await stack.startGateway();
    extra.push(second);
    const { sub: a } = await subscriber('agent@acme.test', stack.conversations.acme, stack.gateway);
    const { sub: b } = await subscriber('agent@acme.test', stack.conversations.acme, second);
    // Sent through the second replica; the first one's subscriber hears it through Redis.
    const sent = await stack.send(second, 'admin@acme.test', stack.conversations.acme, 'across replicas');
    await until(() => a.results.length === 1 && b.results.length === 1, 'both replicas to deliver');
    for (const s of [a, b]) expect(s.results[0]).toEqual({ data: { messageAdded: { id: sent.data.sendMessage.id, text: 'across replicas', author: { name: 'Ada Admin' } } } });
    expect(second.subscriptions!.stats().channels).toEqual([`switchboard:live:${stack.users['agent@acme.test']!.tenantId}`]);
  });

  it('on shutdown delivers the event in flight, then closes sockets with 1001', async () => {
    const gateway = await stack.startGateway();
    extra.push(gateway);
    const { client, sub } = await subscriber('agent@acme.test', stack.conversations.acme, gateway);
    stack.people.delayMs = 300; // holds the execution in its `rest` fetch
    try {
      const resolutions = stack.chat.entityResolutions;
      const sent = await stack.send(gateway, 'admin@acme.test', stack.conversations.acme, 'last words');
      expect(sent.errors).toBeUndefined();
      await until(() => stack.chat.entityResolutions > resolutions, 'the event’s execution to start');
      expect(sub.results).toEqual([]);
      await gateway.close();
      await until(() => client.closes.length > 0, 'the socket to close');
      expect(sub.results.map((r) => r.data.messageAdded.text)).toEqual(['last words']);
      expect(client.closes[0]!.code).toBe(1001);
    } finally {
      stack.people.delayMs = 0;
    }
  });
});
