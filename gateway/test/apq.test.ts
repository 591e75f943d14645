import { createRedis, type Redis } from '@switchboard/kit';
import { createHash, randomBytes } from 'node:crypto';
import { codes } from './stack';
import { startEdgeStack, uniquePrefix, type EdgeStack } from './edge-stack';

/**
 * Who may register automatic persisted queries, how large they may be, and (with Redis) how
 * many one tenant may keep.
 */
const REDIS = process.env.REDIS_URL; // unset: the in-process stores (the Redis ones run when it is set)
const withRedis = REDIS ? it : it.skip;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const pq = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });
const fresh = (body = 'tenant { slug }') => `query Apq_${randomBytes(4).toString('hex')} { ${body} }`;
const LOGIN = () => `mutation Apq_${randomBytes(4).toString('hex')}($e: String!, $p: String!) { login(email: $e, password: $p) { token } }`;

let stack: EdgeStack;
let redis: Redis | undefined;
const prefix = uniquePrefix('apq');
let admin: Record<string, string>;

beforeAll(async () => {
  stack = await startEdgeStack({ APQ_MAX_DOCUMENT_BYTES: '1024', APQ_MAX_PER_TENANT: '3', ...(REDIS ? { REDIS_URL: REDIS, REDIS_KEY_PREFIX: prefix } : {}) });
  if (REDIS) redis = createRedis(REDIS);
  admin = await stack.as('admin@acme.test');
});
afterAll(async () => {
  if (redis) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  }
  await stack.close();
});

describe('APQ registration', () => {
  it('is refused to anonymous callers (401), who may still send the query itself; nothing is stored', async () => {
    const query = LOGIN();
    const variables = { e: 'agent@acme.test', p: 'wrong-password' };
    const res = await stack.send({ query, variables, extensions: pq(sha256(query)) });
    expect(res.status).toBe(401);
    expect(codes(res)).toEqual(['UNAUTHENTICATED']);
    expect(res.errors![0]!.message).toMatch(/register persisted queries/);
    // Not registered: the hash alone is still unknown, even to a signed-in user.
    expect(codes(await stack.send({ extensions: pq(sha256(query)) }, admin))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    if (redis) expect(await redis.keys(`${prefix}apq:*`)).not.toContain(`${prefix}apq:${sha256(query)}`);
    // The same operation without the hash runs.
    expect(codes(await stack.send({ query, variables }))).toEqual(['UNAUTHENTICATED']); // a wrong password, answered by tenants
  });

  it('works for signed-in users and first-party keys', async () => {
    const query = fresh();
    expect((await stack.send({ query, extensions: pq(sha256(query)) }, admin)).data).toEqual({ tenant: { slug: 'acme' } });
    expect((await stack.send({ extensions: pq(sha256(query)) }, admin)).data).toEqual({ tenant: { slug: 'acme' } });
    const key = await stack.apiKey('admin@acme.test', 'FIRST_PARTY', ['tenant:read']);
    const other = fresh();
    expect((await stack.send({ query: other, extensions: pq(sha256(other)) }, key)).data).toEqual({ tenant: { slug: 'acme' } });
    expect((await stack.send({ extensions: pq(sha256(other)) }, key)).data).toEqual({ tenant: { slug: 'acme' } });
  });

  it('is refused to partner keys', async () => {
    const partner = await stack.apiKey('admin@acme.test', 'PARTNER', ['tenant:read']);
    const query = fresh();
    expect(codes(await stack.send({ query, extensions: pq(sha256(query)) }, partner))).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
  });

  it('refuses a document over APQ_MAX_DOCUMENT_BYTES with 413, which still runs as a plain query', async () => {
    const big = fresh(`tenant { ${Array.from({ length: 4 }, (_, i) => `a${i}: slug b${i}: name c${i}: slug`).join(' ')} ${'# padding '.repeat(100)}\n }`);
    expect(Buffer.byteLength(big)).toBeGreaterThan(1024);
    const res = await stack.send({ query: big, extensions: pq(sha256(big)) }, admin);
    expect(res.status).toBe(413);
    expect(res.errors![0]!.extensions).toEqual({ code: 'BAD_REQUEST', maxBytes: 1024 });
    expect(codes(await stack.send({ extensions: pq(sha256(big)) }, admin))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect((await stack.send({ query: big }, admin)).data?.tenant.a0).toBe('acme');
  });

  withRedis('keeps at most APQ_MAX_PER_TENANT documents per tenant in Redis, dropping its oldest', async () => {
    const globex = await stack.as('admin@globex.test');
    const globexQuery = fresh();
    await stack.send({ query: globexQuery, extensions: pq(sha256(globexQuery)) }, globex);
    const queries = Array.from({ length: 5 }, () => fresh());
    for (const q of queries) expect((await stack.send({ query: q, extensions: pq(sha256(q)) }, admin)).errors).toBeUndefined();
    const stored = await Promise.all(queries.map((q) => redis!.exists(`${prefix}apq:${sha256(q)}`)));
    expect(stored).toEqual([0, 0, 1, 1, 1]);
    expect(codes(await stack.send({ extensions: pq(sha256(queries[0]!)) }, admin))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    // Another tenant's documents are not pushed out by this one's.
    expect(await redis!.exists(`${prefix}apq:${sha256(globexQuery)}`)).toBe(1);
    for (const key of await redis!.keys(`${prefix}*`)) expect(await redis!.pttl(key)).not.toBe(-1); // every key expires (-2: already gone)
  });
});
