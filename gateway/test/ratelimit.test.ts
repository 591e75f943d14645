import { createRedis, type Redis } from '@switchboard/kit';
import { createHash, randomBytes } from 'node:crypto';
import { RedisPenaltyStore } from '../src/edge/penalties';
import { ThreatDetector } from '../src/edge/threats';
import { MemoryRateLimitStore, RedisRateLimitStore, gcra, type BucketSpec } from '../src/edge/rate-limit';
import type { GraphQLResponse } from './stack';
import { codes } from './stack';
import { sharedRedisUrl, startEdgeStack, uniquePrefix, type EdgeStack } from './edge-stack';

/**
 * Limits are made small by lowering the demo tenant's plan (requests_per_minute = 6, so an
 * API key of it may use 3), and time moves by an injected clock, never by waiting.
 */
const REDIS = sharedRedisUrl();
const withRedis = REDIS ? it : it.skip;
if (!REDIS) console.warn('ratelimit.test: no Redis (REDIS_URL unset and nothing on 127.0.0.1:6379): the tests of gateways sharing Redis are skipped');

const ACME_RPM = 6;
const prefix = uniquePrefix('ratelimit');
let clock = Date.UTC(2030, 0, 1);
const now = () => clock;

let stack: EdgeStack;
let redis: Redis | undefined;
const auth: Record<string, Record<string, string>> = {};

beforeAll(async () => {
  stack = await startEdgeStack(REDIS ? { REDIS_URL: REDIS, REDIS_KEY_PREFIX: prefix } : {}, { now });
  if (REDIS) redis = createRedis(REDIS);
  for (const email of ['admin@acme.test', 'analyst@acme.test', 'agent@acme.test', 'admin@globex.test']) auth[email] = await stack.as(email);
  for (const name of ['keyA', 'keyB', 'keyC', 'keyD']) auth[name] = await stack.apiKey('admin@acme.test', 'FIRST_PARTY', ['tenant:read']);
  auth.globexKey = await stack.apiKey('admin@globex.test', 'FIRST_PARTY', ['tenant:read']);
  // Only now: the standard gateway (which made the keys above) is not clock-injected.
  const plan = (slug: string, rpm: number) =>
    stack.base.tenants.orm.em.getConnection().execute(`update "${stack.base.db.schemaPrefix}tenants"."tenant" set requests_per_minute = ? where slug = ?`, [rpm, slug]);
  await plan('acme', ACME_RPM);
  await plan('globex', 60);
});
beforeEach(() => {
  clock += 120_000; // every bucket is full again
});
afterAll(async () => {
  if (redis) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  }
  await stack.close();
});

const TENANT = `{ tenant { slug } }`;
const limitHeaders = (res: GraphQLResponse) => ({
  limit: res.headers.get('x-ratelimit-limit'),
  remaining: res.headers.get('x-ratelimit-remaining'),
  reset: res.headers.get('x-ratelimit-reset'),
});

describe('rate limits through the gateway', () => {
  it('put X-RateLimit-Limit/Remaining/Reset on every response: keys, users, anonymous callers, errors', async () => {
    const key = await stack.gql(TENANT, {}, auth.keyD);
    expect(limitHeaders(key)).toEqual({ limit: '3', remaining: '2', reset: '20' }); // the key's bucket is the tighter
    const user = await stack.gql(TENANT, {}, auth['admin@globex.test']);
    expect(limitHeaders(user)).toEqual({ limit: '60', remaining: '59', reset: '1' }); // globex: 60/min
    const anonymous = await stack.gql(`mutation { login(email: "nobody@acme.test", password: "wrong-password") { token } }`);
    expect(codes(anonymous)).toEqual(['UNAUTHENTICATED']);
    expect(limitHeaders(anonymous)).toEqual({ limit: '600', remaining: '599', reset: '1' }); // per client IP
  });

  it('refuses a key over its limit with 429 RATE_LIMITED and Retry-After; another tenant’s key is unaffected', async () => {
    for (let i = 2; i >= 0; i--) {
      const ok = await stack.gql(TENANT, {}, auth.keyA);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('x-ratelimit-remaining')).toBe(String(i));
    }
    const over = await stack.gql(TENANT, {}, auth.keyA);
    expect(over.status).toBe(429);
    expect(codes(over)).toEqual(['RATE_LIMITED']);
    expect(over.data).toBeUndefined();
    expect(over.headers.get('retry-after')).toBe('20'); // 3 per minute: one every 20 s
    expect(over.errors![0]!.extensions).toEqual({ code: 'RATE_LIMITED', retryAfter: 20, bucket: 'apiKey', limit: 3 });
    expect(limitHeaders(over)).toMatchObject({ limit: '3', remaining: '0' });

    const globex = await stack.gql(TENANT, {}, auth.globexKey);
    expect(globex.status).toBe(200);
    expect(globex.data).toEqual({ tenant: { slug: 'globex' } });
    expect(limitHeaders(globex)).toMatchObject({ limit: '30', remaining: '29' });

    clock += 19_000;
    expect((await stack.gql(TENANT, {}, auth.keyA)).status).toBe(429);
    clock += 1_000;
    const again = await stack.gql(TENANT, {}, auth.keyA);
    expect(again.status).toBe(200);
    expect(again.headers.get('x-ratelimit-remaining')).toBe('0');
  });

  it('holds a tenant’s users together to its plan’s requestsPerMinute', async () => {
    for (let i = 0; i < ACME_RPM; i++) {
      const who = i % 2 ? auth['analyst@acme.test'] : auth['agent@acme.test'];
      expect((await stack.gql(TENANT, {}, who)).status).toBe(200);
    }
    const over = await stack.gql(TENANT, {}, auth['analyst@acme.test']);
    expect(over.status).toBe(429);
    expect(over.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', bucket: 'tenant', limit: ACME_RPM, retryAfter: 10 });
    expect(over.headers.get('retry-after')).toBe('10');
    expect((await stack.gql(TENANT, {}, auth.keyB)).status).toBe(429); // the tenant’s keys too
    expect((await stack.gql(TENANT, {}, auth['admin@globex.test'])).status).toBe(200);
  });

  it('counts refusals in /metrics', async () => {
    const metrics = await (await fetch(stack.gateway.url.replace('/graphql', '/metrics'))).text();
    expect(metrics).toMatch(/gateway_rate_limited_total\{bucket="apiKey",service="gateway"\} [1-9]/);
    expect(metrics).toMatch(/graphql_errors_total\{code="RATE_LIMITED",service="gateway"\} [1-9]/);
  });

  it('rate-limits APQ registrations separately', async () => {
    const gateway = await stack.startGateway({ ...(REDIS ? { REDIS_URL: REDIS, REDIS_KEY_PREFIX: `${prefix}apq:` } : {}), APQ_REGISTRATIONS_PER_MINUTE: '2' });
    const admin = auth['admin@globex.test'];
    const register = (query: string) =>
      stack.send({ query, extensions: { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') } } }, admin, gateway);
    const queries = [0, 1, 2].map(() => `query R_${randomBytes(4).toString('hex')} { tenant { slug } }`);
    expect((await register(queries[0]!)).status).toBe(200);
    expect((await register(queries[1]!)).status).toBe(200);
    const third = await register(queries[2]!);
    expect(third.status).toBe(429);
    expect(third.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', bucket: 'apqRegistrations', limit: 2 });
    // Running what is registered, or anything unpersisted, is not a registration.
    const hit = await stack.send({ extensions: { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(queries[0]!).digest('hex') } } }, admin, gateway);
    expect(hit.data).toEqual({ tenant: { slug: 'globex' } });
    expect((await stack.gql(TENANT, {}, admin, gateway)).status).toBe(200);
  });

  withRedis('is shared by two gateway replicas through Redis', async () => {
    const second = await stack.startGateway(); // same REDIS_URL, prefix and clock
    const remaining: (string | null)[] = [];
    for (const gateway of [stack.gateway, second, stack.gateway]) {
      const res = await stack.gql(TENANT, {}, auth.keyC, gateway);
      expect(res.status).toBe(200);
      remaining.push(res.headers.get('x-ratelimit-remaining'));
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const over = await stack.gql(TENANT, {}, auth.keyC, second);
    expect(over.status).toBe(429);
    expect(codes(over)).toEqual(['RATE_LIMITED']);
    expect((await stack.gql(TENANT, {}, auth.keyC, stack.gateway)).status).toBe(429);
  });

  it('fails open when Redis does not answer, and counts it (the rate limit and the block check read in its round trip)', async () => {
    const gateway = await stack.startGateway({ REDIS_URL: 'redis://127.0.0.1:1', REDIS_KEY_PREFIX: prefix });
    for (let i = 0; i < ACME_RPM + 2; i++) {
      const res = await stack.gql(TENANT, {}, auth['analyst@acme.test'], gateway);
      expect(res.status).toBe(200);
      expect(res.data).toEqual({ tenant: { slug: 'acme' } });
    }
    const metrics = await (await fetch(gateway.url.replace('/graphql', '/metrics'))).text();
    expect(metrics).toMatch(new RegExp(`gateway_rate_limit_fail_open_total\\{service="gateway"\\} ${ACME_RPM + 2}\\b`));
    expect(metrics).toMatch(/gateway_redis_errors_total\{use="ratelimit",service="gateway"\} [1-9]/);
    expect(metrics).toMatch(/gateway_redis_errors_total\{use="penalties",service="gateway"\} [1-9]/);
  });
});

describe('GCRA', () => {
  const bucket = (id: string, limit: number): BucketSpec => ({ id, kind: 'apiKey', limit, windowMs: 60_000 });

  it('allows a full burst, then one request per interval', () => {
    let tat: number | undefined;
    const t0 = 1_000_000;
    const remaining: number[] = [];
    for (let i = 0; i < 4; i++) {
      const s = gcra(tat, t0, 4, 60_000);
      expect(s.allowed).toBe(true);
      remaining.push(s.remaining);
      tat = s.newTat;
    }
    expect(remaining).toEqual([3, 2, 1, 0]);
    expect(gcra(tat, t0, 4, 60_000)).toMatchObject({ allowed: false, retryAfterMs: 15_000, resetMs: 60_000 });
    expect(gcra(tat, t0 + 14_999, 4, 60_000).allowed).toBe(false);
    expect(gcra(tat, t0 + 15_000, 4, 60_000)).toMatchObject({ allowed: true, remaining: 0 });
    expect(gcra(tat, t0 + 60_000, 4, 60_000)).toMatchObject({ allowed: true, remaining: 3 });
  });

  it('charges no bucket when one of them refuses (memory store)', async () => {
    const store = new MemoryRateLimitStore();
    const wide = bucket('wide', 10);
    const narrow = bucket('narrow', 1);
    expect((await store.consume([wide, narrow], 0)).map((s) => s.allowed)).toEqual([true, true]);
    expect((await store.consume([wide, narrow], 0)).map((s) => s.allowed)).toEqual([true, false]);
    expect((await store.consume([wide], 0))[0]!.remaining).toBe(8); // the refused request took nothing from `wide`
  });

  withRedis('charges no bucket when one of them refuses, and agrees with the memory store (Redis store)', async () => {
    const store = new RedisRateLimitStore(redis!, `${prefix}unit:`);
    const memory = new MemoryRateLimitStore();
    const wide = bucket('wide', 10);
    const narrow = bucket('narrow', 3);
    for (let i = 0; i < 6; i++) {
      const at = 5_000_000 + i * 7_000;
      expect(await store.consume([wide, narrow], at)).toEqual(await memory.consume([wide, narrow], at));
    }
  });

  withRedis('reads a block in the same script as the buckets: a blocked caller is told which guard, for how long, and charged nothing (Redis store)', async () => {
    const unit = `${prefix}guard:`;
    const store = new RedisRateLimitStore(redis!, unit);
    const penalties = new RedisPenaltyStore(redis!, unit);
    const only = bucket('guarded', 5);
    const [ip, user] = [penalties.storeKey('threat:ip:203.0.113.9'), penalties.storeKey('threat:user:u1')];
    const at = 9_000_000;
    expect(await store.consumeGuarded([ip, user], [only], at)).toEqual({ states: [expect.objectContaining({ allowed: true, remaining: 4 })] });
    // Block the user (one score past the threshold), as the threat detector does.
    await penalties.score('threat:user:u1', 10, at, { threshold: 5, halfLifeMs: 60_000, blockMs: 30_000 });
    expect(await store.consumeGuarded([ip, user], [only], at + 1_000)).toEqual({ blocked: { index: 1, ms: 29_000 }, states: [] });
    expect((await store.consume([only], at + 1_000))[0]!.remaining).toBe(3); // the blocked request took nothing
    expect(await store.consumeGuarded([ip, user], [only], at + 31_000)).toEqual({ states: [expect.objectContaining({ allowed: true })] }); // the block is over
  });

  withRedis('leases: takes 1 % of a large bucket at once and spends it without Redis; replicas together never pass the limit (Redis store)', async () => {
    const unit = `${prefix}lease:`;
    const lease = { max: 20, ms: 1_000 };
    const [one, two] = [new RedisRateLimitStore(redis!, unit, lease), new RedisRateLimitStore(redis!, unit, lease)];
    const plain = new RedisRateLimitStore(redis!, unit); // no leases: peek says what one more request would leave in Redis
    const big = bucket('big', 2_000);
    const at = 12_000_000;
    // The first request takes 20 (1 + 19 leased) and is told what is left for it: 1,999.
    expect((await one.consumeGuarded([], [big], at)).states[0]).toMatchObject({ allowed: true, remaining: 1_999 });
    expect((await plain.peek([big], at))[0]!.remaining).toBe(1_979);
    // The next 19 are spent from the lease: Redis is not asked (its bucket does not move).
    for (let i = 1; i <= 19; i++) expect((await one.consumeGuarded([], [big], at)).states[0]!.remaining).toBe(1_999 - i);
    expect((await plain.peek([big], at))[0]!.remaining).toBe(1_979);
    // The 21st renews it.
    await one.consumeGuarded([], [big], at);
    expect((await plain.peek([big], at))[0]!.remaining).toBe(1_959);
    // A lease lapses after its time: the next request asks Redis although requests were left.
    await two.consumeGuarded([], [big], at);
    expect((await plain.peek([big], at))[0]!.remaining).toBe(1_939);
    const before = (await plain.peek([big], at + 1_001))[0]!.remaining;
    await two.consumeGuarded([], [big], at + 1_001);
    expect((await plain.peek([big], at + 1_001))[0]!.remaining).toBe(before - 20);

    // Two replicas, a clock that stands still, a bucket of 300 (leases of 3): never more than 300 allowed.
    const small = bucket('replicas', 300);
    const frozen = 20_000_000;
    let allowed = 0;
    for (let i = 0; i < 400; i++) if ((await (i % 2 ? one : two).consumeGuarded([], [small], frozen)).states[0]!.allowed) allowed++;
    expect(allowed).toBeLessThanOrEqual(300);
    expect(allowed).toBeGreaterThanOrEqual(300 - 2 * 2); // at most a lease's rest per replica unspent
    // A bucket under 200 a minute is charged request by request: a second replica sees every one.
    const tiny = bucket('tiny', 150);
    await one.consumeGuarded([], [tiny], frozen);
    expect((await plain.peek([tiny], frozen))[0]!.remaining).toBe(148);
  });

  withRedis('a block this gateway set is seen at once, even while requests are spent from a lease (Redis)', async () => {
    const unit = `${prefix}leaseblock:`;
    const penalties = new RedisPenaltyStore(redis!, unit);
    let clock = 30_000_000;
    const detector = new ThreatDetector({ store: penalties, rule: { threshold: 10, halfLifeMs: 600_000, blockMs: 60_000 }, points: { authFailure: 0, loginFailure: 0, operationLimit: 10, malformed: 0, injection: 0, rateLimited: 0 }, now: () => clock, onBlock: () => {}, onError: (e) => { throw e; } });
    const user = { kind: 'user' as const, id: 'u-lease', tenantId: 't1' };
    expect(detector.blockedHere([user])).toBeUndefined();
    await detector.record(user, 'operationLimit', '203.0.113.7');
    expect(detector.blockedHere([{ kind: 'ip', id: '203.0.113.7' }, user])).toEqual({ subject: user, ms: 60_000 });
    clock += 60_000;
    expect(detector.blockedHere([user])).toBeUndefined(); // and it ends on time
  });
});
