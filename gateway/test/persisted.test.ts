import { createRedis, type Redis } from '@switchboard/kit';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ManifestOperation, PersistedManifest } from '../src/edge/persisted';
import { codes, type GraphQLResponse } from './stack';
import { startEdgeStack, uniquePrefix, type EdgeStack } from './edge-stack';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const manifest = JSON.parse(readFileSync(path.resolve(__dirname, '../../schema/persisted-documents.json'), 'utf8')) as PersistedManifest;
const op = (name: string): ManifestOperation => manifest.operations.find((o) => o.name === name)!;
const pq = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

let stack: EdgeStack;
let redis: Redis | undefined;
let prefix: string;
let admin: Record<string, string>;
let partner: Record<string, string>;

beforeAll(async () => {
  // With REDIS_URL, APQ lives in Redis (checked directly below); without, in Apollo's in-memory LRU.
  const url = process.env.REDIS_URL;
  prefix = uniquePrefix('persisted');
  stack = await startEdgeStack(url ? { REDIS_URL: url, REDIS_KEY_PREFIX: prefix } : {});
  if (url) redis = createRedis(url);
  admin = await stack.as('admin@acme.test');
  partner = await stack.apiKey('admin@acme.test', 'PARTNER', ['tenant:read', 'users:read']);
});
afterAll(async () => {
  if (redis) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  }
  await stack.close();
});

/** A query no other run has registered. */
const freshQuery = () => `query Apq_${randomBytes(4).toString('hex')} { tenant { slug } }`;

async function get(params: Record<string, unknown>, headers: Record<string, string> = {}): Promise<GraphQLResponse> {
  const search = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  const res = await fetch(`${stack.gateway.url}?${search}`, { headers: { 'apollo-require-preflight': 'true', ...headers } });
  return { status: res.status, headers: res.headers, ...((await res.json()) as object) };
}

describe('automatic persisted queries', () => {
  it('round trip: an unknown hash is not found, hash + query registers it, the hash alone then runs it (POST and GET)', async () => {
    const query = freshQuery();
    const hash = sha256(query);
    const unknown = await stack.send({ extensions: pq(hash) }, admin);
    expect(codes(unknown)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect(unknown.data).toBeUndefined();

    const registered = await stack.send({ query, extensions: pq(hash) }, admin);
    expect(registered.errors).toBeUndefined();
    expect(registered.data).toEqual({ tenant: { slug: 'acme' } });

    const hit = await stack.send({ extensions: pq(hash) }, admin);
    expect(hit.data).toEqual({ tenant: { slug: 'acme' } });
    const overGet = await get({ extensions: pq(hash) }, admin);
    expect(overGet.status).toBe(200);
    expect(overGet.data).toEqual({ tenant: { slug: 'acme' } });

    if (redis) expect(await redis.get(`${prefix}apq:${hash}`)).toBe(query);
  });

  it('is shared across tenants (documents, not data): another tenant’s hit answers with its own data', async () => {
    const query = freshQuery();
    const hash = sha256(query);
    await stack.send({ query, extensions: pq(hash) }, admin);
    const globex = await stack.send({ extensions: pq(hash) }, await stack.as('admin@globex.test'));
    expect(globex.data).toEqual({ tenant: { slug: 'globex' } });
  });

  it('refuses a hash that does not match the query with 400, and stores nothing', async () => {
    const query = freshQuery();
    const wrong = sha256(`${query} `);
    const res = await stack.send({ query, extensions: pq(wrong) }, admin);
    expect(res.status).toBe(400);
    expect(res.data).toBeUndefined();
    expect(res.errors![0]!.message).toMatch(/does not match/);
    expect(codes(await stack.send({ extensions: pq(wrong) }, admin))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect(codes(await stack.send({ extensions: pq(sha256(query)) }, admin))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    if (redis) expect(await redis.keys(`${prefix}apq:*${wrong}`)).toEqual([]);
  });

  it('does not register a document that fails validation', async () => {
    const query = `query Broken_${randomBytes(3).toString('hex')} { tenant { nope } }`;
    const res = await stack.send({ query, extensions: pq(sha256(query)) }, admin);
    expect(codes(res)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(codes(await stack.send({ extensions: pq(sha256(query)) }, admin))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
  });

  it('runs a registered mutation over POST but never over GET', async () => {
    const mutation = `mutation Apq_${randomBytes(3).toString('hex')}($e: String!, $p: String!) { login(email: $e, password: $p) { user { email } } }`;
    const hash = sha256(mutation);
    const variables = { e: 'agent@acme.test', p: 'switchboard-demo' };
    // Registered by a signed-in user (anonymous callers may not register: apq.test.ts), run by anyone.
    expect((await stack.send({ query: mutation, variables, extensions: pq(hash) }, admin)).data).toEqual({ login: { user: { email: 'agent@acme.test' } } });
    const overGet = await get({ extensions: pq(hash), variables });
    expect(overGet.status).toBe(405);
    expect(codes(overGet)).toEqual(['BAD_REQUEST']);
    expect(overGet.data).toBeUndefined();
  });
});

describe('the partner safelist', () => {
  it('refuses a free-form query from a partner key with PERSISTED_QUERY_ID_REQUIRED', async () => {
    const res = await stack.gql(`{ tenant { slug } }`, {}, partner);
    expect(res.status).toBe(400);
    expect(codes(res)).toEqual(['PERSISTED_QUERY_ID_REQUIRED']);
    expect(res.data).toBeUndefined();
    // Even the exact text of a manifest operation: partners send ids.
    expect(codes(await stack.send({ query: op('TenantInfo').body }, partner))).toEqual(['PERSISTED_QUERY_ID_REQUIRED']);
  });

  it('refuses an id that is not in the manifest with PERSISTED_QUERY_NOT_IN_LIST', async () => {
    const res = await stack.send({ extensions: pq(sha256('query Nope { tenant { slug } }')) }, partner);
    expect(res.status).toBe(400);
    expect(codes(res)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
    expect(codes(await stack.send({ documentId: `sha256:${'0'.repeat(64)}` }, partner))).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
  });

  it('is not widened by APQ: a hash first-party callers registered is still not in the list', async () => {
    const query = freshQuery();
    const hash = sha256(query);
    expect((await stack.send({ query, extensions: pq(hash) }, admin)).data).toBeDefined();
    expect(codes(await stack.send({ extensions: pq(hash) }, partner))).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
    expect(codes(await stack.send({ query, extensions: pq(hash) }, partner))).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
  });

  it('runs manifest operations by hash (POST and GET) and by documentId, with the partner’s tenant data', async () => {
    const tenant = await stack.send({ extensions: pq(op('TenantInfo').id) }, partner);
    expect(tenant.errors).toBeUndefined();
    expect(tenant.data.tenant).toMatchObject({ slug: 'acme', name: 'Acme Corporation', quotas: { seats: 50 } });

    const page = await stack.send({ documentId: `sha256:${op('UsersPage').id}`, variables: { first: 2 } }, partner);
    expect(page.errors).toBeUndefined();
    expect(page.data.users.nodes).toHaveLength(2);
    expect(page.data.users.pageInfo.hasNextPage).toBe(true);

    const id = page.data.users.nodes[0].id;
    const user = await get({ extensions: pq(op('UserById').id), variables: { id }, operationName: 'UserById' }, partner);
    expect(user.status).toBe(200);
    expect(user.data.user).toMatchObject({ id, email: page.data.users.nodes[0].email });
  });

  it('refuses a manifest id sent with a query that does not match it', async () => {
    const res = await stack.send({ query: '{ tenant { slug } }', extensions: pq(op('TenantInfo').id) }, partner);
    expect(res.status).toBe(400);
    expect(codes(res)).toEqual(['BAD_REQUEST']);
  });

  it('still holds the partner key to its scopes', async () => {
    const narrow = await stack.apiKey('admin@acme.test', 'PARTNER', ['tenant:read']);
    expect((await stack.send({ extensions: pq(op('TenantInfo').id) }, narrow)).data.tenant.slug).toBe('acme');
    expect(codes(await stack.send({ extensions: pq(op('UsersPage').id) }, narrow))).toEqual(['FORBIDDEN']);
  });

  it('lets first-party callers send any operation, and run manifest operations by id too', async () => {
    const key = await stack.apiKey('admin@acme.test', 'FIRST_PARTY', ['tenant:read']);
    expect((await stack.gql(`{ tenant { slug } }`, {}, key)).data).toEqual({ tenant: { slug: 'acme' } });
    expect((await stack.send({ documentId: op('TenantInfo').id }, admin)).data.tenant.slug).toBe('acme');
    expect((await stack.send({ extensions: pq(op('TenantInfo').id) }, key)).data.tenant.slug).toBe('acme');
  });
});

describe('the manifest at start', () => {
  it('is refused when an id is not the sha256 of its body', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(path.join(tmpdir(), 'manifest-'));
    const file = path.join(dir, 'persisted-documents.json');
    const tampered = { ...manifest, operations: manifest.operations.map((o, i) => (i === 0 ? { ...o, body: o.body.replace('{', '{ __typename ') } : o)) };
    writeFileSync(file, JSON.stringify(tampered));
    await expect(stack.startGateway({ PERSISTED_DOCUMENTS_PATH: file })).rejects.toThrow(/id is not the sha256 of its body/);
    writeFileSync(file, JSON.stringify({ operations: [] }));
    await expect(stack.startGateway({ PERSISTED_DOCUMENTS_PATH: file })).rejects.toThrow(/apollo-persisted-query-manifest/);
  });

  it('is refused when an operation does not validate against the schema', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'manifest-')), 'persisted-documents.json');
    const body = 'query Gone { tenant { removedField } }';
    writeFileSync(file, JSON.stringify({ ...manifest, operations: [{ id: sha256(body), name: 'Gone', type: 'query', body }] }));
    await expect(stack.startGateway({ PERSISTED_DOCUMENTS_PATH: file })).rejects.toThrow(/Gone: Cannot query field "removedField"/);
  });
});
