import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { DEMO_PASSWORD } from '@switchboard/tenants';
import WebSocket from 'ws';
import type { GatewayApp } from '../src/app';
import { codes } from './stack';
import { startEdgeStack, uniquePrefix, type EdgeStack } from './edge-stack';

/**
 * Credential guessing and threat detection through the gateway. Time moves by an injected
 * clock; each test starts a gateway of its own (its own penalty and rate-limit state: a fresh
 * Redis prefix when Redis is there), whose calls to the tenants subgraph go through a
 * counting proxy, so "stops reaching tenants" is counted, not timed.
 */
const REDIS = process.env.REDIS_URL; // unset: the in-process stores (the Redis ones run when it is set)
let clock = Date.UTC(2031, 0, 1);
const now = () => clock;

let stack: EdgeStack;
/** Requests the proxy forwarded to the tenants subgraph, by path. */
const reached: Record<string, number> = {};
let proxy: http.Server;
let proxyUrl: string;

beforeAll(async () => {
  stack = await startEdgeStack({}, { now });
  const target = new URL(stack.base.tenants.url);
  proxy = http.createServer((req, res) => {
    reached[req.url ?? ''] = (reached[req.url ?? ''] ?? 0) + 1;
    const upstream = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => {
  await stack.close();
  await new Promise((resolve) => proxy.close(resolve));
});

/** A gateway of its own, talking to tenants through the counting proxy. */
function gateway(env: Record<string, string> = {}): Promise<GatewayApp> {
  return stack.startGateway({ TENANTS_URL: proxyUrl, ...(REDIS ? { REDIS_URL: REDIS, REDIS_KEY_PREFIX: uniquePrefix('abuse') } : {}), ...env }, { now });
}

const LOGIN = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }`;
const login = (to: GatewayApp, email: string, password: string, headers: Record<string, string> = {}) => stack.gql(LOGIN, { e: email, p: password }, headers, to);
const principalCalls = () => reached['/internal/principal'] ?? 0;

describe('credential guessing', () => {
  it('throttles one account after a few wrong passwords (RATE_LIMITED, Retry-After, doubling), and the right password works after the wait', async () => {
    const g = await gateway();
    const answers = [];
    for (let i = 0; i < 50; i++) answers.push(await login(g, 'agent@acme.test', `wrong-${i}`));
    const unauthenticated = answers.filter((a) => codes(a)[0] === 'UNAUTHENTICATED').length;
    expect(unauthenticated).toBe(6); // LOGIN_FREE_FAILURES = 5 cost no wait; the 6th sets one
    const later = answers.slice(6);
    for (const a of later) {
      expect(a.status).toBe(429);
      expect(codes(a)).toEqual(['RATE_LIMITED']);
      expect(a.headers.get('retry-after')).toBe('1');
      expect(a.errors![0]!.extensions).toMatchObject({ retryAfter: 1, bucket: 'login' });
    }
    // Locked means locked: the right password waits too, and the refusals did not extend the wait.
    expect(codes(await login(g, 'agent@acme.test', DEMO_PASSWORD))).toEqual(['RATE_LIMITED']);
    // Another account is not affected.
    expect((await login(g, 'agent2@acme.test', DEMO_PASSWORD)).data?.login.token).toEqual(expect.any(String));

    clock += 1_000;
    expect(codes(await login(g, 'agent@acme.test', 'wrong-again'))).toEqual(['UNAUTHENTICATED']);
    const doubled = await login(g, 'agent@acme.test', DEMO_PASSWORD);
    expect(doubled.headers.get('retry-after')).toBe('2'); // each further failure doubles the wait

    clock += 2_000;
    const ok = await login(g, 'agent@acme.test', DEMO_PASSWORD);
    expect(ok.status).toBe(200);
    expect(ok.data?.login.token).toEqual(expect.any(String));
    // A success forgets the failures: the next wrong password is answered, not throttled.
    expect(codes(await login(g, 'agent@acme.test', 'wrong-after-success'))).toEqual(['UNAUTHENTICATED']);
  });

  (REDIS ? it : it.skip)('shares an account’s failures between gateway replicas (Redis)', async () => {
    const shared = { REDIS_URL: REDIS!, REDIS_KEY_PREFIX: uniquePrefix('abuse-replicas'), LOGIN_FREE_FAILURES: '2' };
    const a = await stack.startGateway({ TENANTS_URL: proxyUrl, ...shared }, { now });
    const b = await stack.startGateway({ TENANTS_URL: proxyUrl, ...shared }, { now });
    expect(codes(await login(a, 'supervisor@acme.test', 'wrong-1'))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await login(b, 'supervisor@acme.test', 'wrong-2'))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await login(a, 'supervisor@acme.test', 'wrong-3'))).toEqual(['UNAUTHENTICATED']);
    const onB = await login(b, 'supervisor@acme.test', DEMO_PASSWORD);
    expect(codes(onB)).toEqual(['RATE_LIMITED']);
    expect(onB.headers.get('retry-after')).toBe('1');
  });

  it('keys the throttle by the normalised email, and allows one login per request', async () => {
    const g = await gateway({ LOGIN_FREE_FAILURES: '1' });
    await login(g, 'Analyst@Acme.test ', 'wrong-1');
    await login(g, 'analyst@acme.test', 'wrong-2');
    expect(codes(await login(g, 'ANALYST@acme.test', DEMO_PASSWORD))).toEqual(['RATE_LIMITED']);
    const twice = await stack.gql(`mutation { a: login(email: "admin@acme.test", password: "x1") { token } b: login(email: "admin@acme.test", password: "x2") { token } }`, {}, {}, g);
    expect(twice.status).toBe(400);
    expect(codes(twice)).toEqual(['BAD_REQUEST']);
  });

  it('charges a signed-in user’s login to the per-IP anonymous bucket, like an anonymous one', async () => {
    const g = await gateway({ RATE_LIMIT_ANONYMOUS_PER_MINUTE: '3', THREAT_DETECTION_ENABLED: 'false' });
    const owner = await stack.as('admin@acme.test');
    expect(codes(await login(g, 'admin@globex.test', 'wrong', owner))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await login(g, 'agent@globex.test', 'wrong', owner))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await login(g, 'nobody@globex.test', 'wrong', owner))).toEqual(['UNAUTHENTICATED']);
    const fourth = await login(g, 'admin@globex.test', DEMO_PASSWORD, owner);
    expect(fourth.status).toBe(429);
    expect(fourth.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', bucket: 'ip' });
    // The same user's ordinary requests still take from their tenant's plan, not the IP's.
    expect((await stack.gql(`{ tenant { slug } }`, {}, owner, g)).data?.tenant.slug).toBe('acme');
  });

  it('charges invalid API keys and bad tokens to a per-IP bucket checked before tenants is asked', async () => {
    const g = await gateway({ AUTH_FAILURES_PER_IP_PER_MINUTE: '10', THREAT_DETECTION_ENABLED: 'false' });
    const before = principalCalls();
    const answers = [];
    for (let i = 0; i < 25; i++) answers.push(await stack.gql(`{ tenant { slug } }`, {}, { 'x-api-key': `sb_${randomBytes(16).toString('hex')}` }, g));
    expect(answers.slice(0, 10).map((a) => a.status)).toEqual(Array(10).fill(401));
    for (const a of answers.slice(10)) {
      expect(a.status).toBe(429);
      expect(codes(a)).toEqual(['RATE_LIMITED']);
      expect(a.headers.get('retry-after')).toBe('6'); // 10 per minute: one every 6 s
      expect(a.errors![0]!.extensions).toMatchObject({ bucket: 'authFailures', limit: 10 });
    }
    expect(principalCalls() - before).toBe(10); // the 15 refused guesses never reached tenants
    // A bad JWT is refused the same way, and wrong logins take from the same bucket.
    expect(codes(await stack.gql(`{ tenant { slug } }`, {}, { authorization: 'Bearer not.a.jwt' }, g))).toEqual(['RATE_LIMITED']);
    expect(codes(await login(g, 'admin@acme.test', 'wrong'))).toEqual(['RATE_LIMITED']);
    // A valid credential from the same address still works: only failures are charged…
    clock += 6_000; // …and the bucket refills
    expect(codes(await stack.gql(`{ tenant { slug } }`, {}, { 'x-api-key': `sb_${randomBytes(16).toString('hex')}` }, g))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await stack.gql(`{ tenant { slug } }`, {}, { 'x-api-key': `sb_${randomBytes(16).toString('hex')}` }, g))).toEqual(['RATE_LIMITED']);
  });
});

describe('threat detection', () => {
  const DEEP = `{ tenant { users(first: 1) { nodes { tenant { users(first: 1) { nodes { tenant { users(first: 1) { nodes { tenant { id } } } } } } } } } } }`;
  const SECURITY_EVENTS = `{ securityEvents(first: 10) { totalCount nodes { kind subjectKind subjectId reason score blockedUntil } } }`;

  async function keyWithId(owner: string) {
    const res = await stack.base.gql(
      `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id } } }`,
      { input: { name: `threat ${randomBytes(3).toString('hex')}`, kind: 'FIRST_PARTY', scopes: ['tenant:read', 'users:read'] } },
      await stack.as(owner),
    );
    return { id: res.data.createApiKey.apiKey.id as string, headers: { 'x-api-key': res.data.createApiKey.secret as string } };
  }

  it('blocks a key that keeps hitting operation limits (403 BLOCKED, Retry-After), records it for its tenant only, and lets the block expire', async () => {
    const g = await gateway({ THREAT_THRESHOLD: '20', THREAT_BLOCK_SECONDS: '300' });
    const bad = await keyWithId('admin@acme.test');
    const good = await keyWithId('admin@acme.test');
    const seen = [];
    for (let i = 0; i < 5; i++) seen.push(await stack.gql(DEEP, {}, bad.headers, g));
    expect(seen.slice(0, 4).map((r) => codes(r)[0])).toEqual(Array(4).fill('OPERATION_TOO_COMPLEX')); // 4 × 5 points = 20
    const blocked = seen[4]!;
    expect(blocked.status).toBe(403);
    expect(codes(blocked)).toEqual(['BLOCKED']);
    expect(blocked.headers.get('retry-after')).toBe('300');
    expect(blocked.errors![0]!.extensions).toEqual({ code: 'BLOCKED', retryAfter: 300, subject: 'apiKey' });
    // Even a harmless request with that key is refused; another key of the same tenant is not.
    expect(codes(await stack.gql(`{ tenant { slug } }`, {}, bad.headers, g))).toEqual(['BLOCKED']);
    expect((await stack.gql(`{ tenant { slug } }`, {}, good.headers, g)).data?.tenant.slug).toBe('acme');

    // The tenant's OWNER sees the security event (it is posted to tenants in the background).
    const owner = await stack.as('admin@acme.test');
    let events: any;
    for (let i = 0; i < 100; i++) {
      events = (await stack.gql(SECURITY_EVENTS, {}, owner, g)).data?.securityEvents;
      if (events?.totalCount) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(events.nodes).toEqual([
      { kind: 'CLIENT_BLOCKED', subjectKind: 'apiKey', subjectId: bad.id, reason: 'operationLimit', score: 20, blockedUntil: new Date(clock + 300_000).toISOString() },
    ]);
    // Another tenant's OWNER does not; an AGENT may not ask.
    expect((await stack.gql(SECURITY_EVENTS, {}, await stack.as('admin@globex.test'), g)).data?.securityEvents).toEqual({ totalCount: 0, nodes: [] });
    expect(codes(await stack.gql(SECURITY_EVENTS, {}, await stack.as('agent@acme.test'), g))).toEqual(['FORBIDDEN']);
    // The operator sees it in the logs and the metric.
    expect(stack.logs.find((l) => l.msg === 'client blocked' && l.subjectId === bad.id)).toMatchObject({ level: 'warn', subject: 'apiKey', reason: 'operationLimit' });
    const metrics = await (await fetch(g.url.replace('/graphql', '/metrics'))).text();
    expect(metrics).toMatch(/gateway_clients_blocked_total\{subject="apiKey"[^}]*\} 1/);

    clock += 299_000;
    expect(codes(await stack.gql(`{ tenant { slug } }`, {}, bad.headers, g))).toEqual(['BLOCKED']);
    clock += 1_000;
    expect((await stack.gql(`{ tenant { slug } }`, {}, bad.headers, g)).data?.tenant.slug).toBe('acme'); // expired
    // …and its score started again at 0: one more refusal does not block it again.
    expect(codes(await stack.gql(DEEP, {}, bad.headers, g))).toEqual(['OPERATION_TOO_COMPLEX']);
    expect((await stack.gql(`{ tenant { slug } }`, {}, bad.headers, g)).status).toBe(200);
  });

  it('blocks an address that keeps failing authentication before asking tenants, as an operator-only event', async () => {
    const g = await gateway({ THREAT_THRESHOLD: '10', AUTH_FAILURES_PER_IP_PER_MINUTE: '100' });
    const before = principalCalls();
    const answers = [];
    for (let i = 0; i < 8; i++) answers.push(await stack.gql(`{ tenant { slug } }`, {}, { 'x-api-key': `sb_${randomBytes(16).toString('hex')}` }, g));
    expect(answers.slice(0, 5).map((a) => codes(a)[0])).toEqual(Array(5).fill('UNAUTHENTICATED')); // 5 × 2 points
    for (const a of answers.slice(5)) {
      expect(a.status).toBe(403);
      expect(a.errors![0]!.extensions).toMatchObject({ code: 'BLOCKED', subject: 'ip', retryAfter: 900 });
    }
    expect(principalCalls() - before).toBe(5);
    // The address is blocked for everyone, valid credentials included, until the block expires.
    const owner = await stack.as('admin@acme.test');
    expect(codes(await stack.gql(`{ tenant { slug } }`, {}, owner, g))).toEqual(['BLOCKED']);
    expect(stack.logs.find((l) => l.msg === 'client blocked' && l.subject === 'ip')).toMatchObject({ level: 'warn', reason: 'authFailure' });
    clock += 900_000;
    expect((await stack.gql(`{ tenant { slug } }`, {}, owner, g)).data?.tenant.slug).toBe('acme');
  });

  it('charges failed logins to the address, whichever accounts they try', async () => {
    const g = await gateway({ THREAT_THRESHOLD: '6' });
    for (const email of ['admin@acme.test', 'agent@acme.test', 'admin@globex.test']) expect(codes(await login(g, email, 'guess'))).toEqual(['UNAUTHENTICATED']); // 3 × 2 points
    const blocked = await login(g, 'agent2@acme.test', DEMO_PASSWORD);
    expect(blocked.status).toBe(403);
    expect(blocked.errors![0]!.extensions).toMatchObject({ code: 'BLOCKED', subject: 'ip' });
    expect(stack.logs.filter((l) => l.msg === 'client blocked' && l.reason === 'loginFailure')).not.toHaveLength(0);
  });

  it('scores injection-shaped arguments and malformed documents', async () => {
    const g = await gateway({ THREAT_THRESHOLD: '30' });
    const user = await stack.as('agent@acme.test');
    const probe = (id: string) => stack.gql(`query($id: ID!) { user(id: $id) { id } }`, { id }, user, g);
    expect((await probe(`' OR '1'='1`)).status).toBe(200); // scored (10), not refused: answered as any bad id
    expect((await probe(`x'; DROP TABLE users; --`)).status).toBe(200); // 20
    expect(codes(await stack.gql(`{ tenant { `, {}, user, g))).toEqual(['GRAPHQL_PARSE_FAILED']); // 22
    expect(codes(await stack.gql(`{ user(id: "1 UNION SELECT password FROM users") { id } }`, {}, user, g))).not.toContain('BLOCKED'); // 32 → blocked
    const after = await stack.gql(`{ tenant { slug } }`, {}, user, g);
    expect(after.errors![0]!.extensions).toMatchObject({ code: 'BLOCKED', subject: 'user' });
    // An ordinary user of the same tenant from the same address is not affected.
    expect((await stack.gql(`{ tenant { slug } }`, {}, await stack.as('agent2@acme.test'), g)).data?.tenant.slug).toBe('acme');
  });
});

/** Opens a graphql-ws socket with `params` in connection_init; resolves with how it ended (or `acked`). */
function connect(to: GatewayApp, params: Record<string, string>): Promise<{ acked: boolean; code?: number; reason?: string }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(to.url.replace('http', 'ws'), 'graphql-transport-ws');
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: params })));
    socket.on('message', (data) => {
      if (JSON.parse(String(data)).type === 'connection_ack') {
        socket.close(1000);
        resolve({ acked: true });
      }
    });
    socket.on('close', (code, reason) => resolve({ acked: false, code, reason: String(reason) }));
  });
}

describe('logins hidden in fragments or spread over slugs', () => {
  it('refuses a login reached through an inline fragment or a named fragment, even signed in', async () => {
    const g = await gateway();
    const agent = await stack.as('agent@acme.test');
    const inline = await stack.gql(`mutation { ... on Mutation { a: login(email: "admin@acme.test", password: "x1") { token } b: login(email: "admin@acme.test", password: "x2") { token } } }`, {}, agent, g);
    const named = await stack.gql(`mutation { ...Guess } fragment Guess on Mutation { login(email: "admin@acme.test", password: "x3") { token } }`, {}, agent, g);
    for (const res of [inline, named]) {
      expect(res.status).toBe(400);
      expect(codes(res)).toEqual(['BAD_REQUEST']);
      expect(res.data).toBeUndefined();
    }
  });

  it('charges one budget per email whatever tenant slug (or none) is sent', async () => {
    const g = await gateway();
    const LOGIN_AT = `mutation($e: String!, $p: String!, $t: String) { login(email: $e, password: $p, tenant: $t) { token } }`;
    const answers = [];
    for (let i = 0; i < 9; i++) answers.push(await stack.gql(LOGIN_AT, { e: 'agent2@acme.test', p: `wrong-${i}`, t: [undefined, null, 'acme'][i % 3] }, {}, g));
    expect(answers.slice(0, 6).map((a) => codes(a)[0])).toEqual(Array(6).fill('UNAUTHENTICATED'));
    expect(answers.slice(6).map((a) => codes(a)[0])).toEqual(Array(3).fill('RATE_LIMITED'));
  });
});

describe('the same rules over WebSocket', () => {
  it('closes a blocked key’s socket with 4403 BLOCKED, and lets it in once the block expires', async () => {
    const g = await gateway({ THREAT_THRESHOLD: '20', THREAT_BLOCK_SECONDS: '300' });
    const DEEP = `{ tenant { users(first: 1) { nodes { tenant { users(first: 1) { nodes { tenant { users(first: 1) { nodes { tenant { id } } } } } } } } } } }`;
    const created = await stack.base.gql(
      `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`,
      { input: { name: `ws threat ${randomBytes(3).toString('hex')}`, kind: 'FIRST_PARTY', scopes: ['tenant:read', 'users:read', 'tickets:read'] } },
      await stack.as('admin@acme.test'),
    );
    const apiKey = created.data.createApiKey.secret as string;
    expect(await connect(g, { apiKey })).toEqual({ acked: true });
    for (let i = 0; i < 4; i++) await stack.gql(DEEP, {}, { 'x-api-key': apiKey }, g); // 4 × 5 points: blocked
    const refused = await connect(g, { apiKey });
    expect(refused).toMatchObject({ acked: false, code: 4403 });
    expect(refused.reason).toMatch(/^BLOCKED: retry after \d+ s$/);
    clock += 300_000;
    expect(await connect(g, { apiKey })).toEqual({ acked: true });
  });

  it('charges refused credentials to the address, and past its budget closes with 4429 before tenants is asked', async () => {
    const g = await gateway({ AUTH_FAILURES_PER_IP_PER_MINUTE: '3', THREAT_DETECTION_ENABLED: 'false' });
    const before = principalCalls();
    const tries = [];
    for (let i = 0; i < 6; i++) tries.push(await connect(g, { apiKey: `sb_live_not-a-key-${randomBytes(8).toString('hex')}` }));
    expect(tries.every((t) => !t.acked)).toBe(true);
    expect(tries.slice(0, 3).map((t) => t.code)).toEqual([4403, 4403, 4403]);
    expect(tries.slice(3).map((t) => t.code)).toEqual([4429, 4429, 4429]);
    expect(tries[3]!.reason).toMatch(/^RATE_LIMITED: authFailures; retry after \d+ s$/);
    expect(principalCalls() - before).toBe(3); // the refused ones never reached tenants
    clock += 60_000;
  });
});
