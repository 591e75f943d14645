import { TEST_SECRETS } from '@switchboard/kit/src/testing';
import { signJwt } from '@switchboard/kit';
import { codes, startStack, type Stack } from './stack';

let stack: Stack;
/** How far the gateway's clock runs ahead of the real one. */
let skew = 0;
beforeAll(async () => {
  stack = await startStack({ gatewayNow: () => Date.now() + skew });
});
afterAll(() => stack.close());

const ME = `{ me { id email role tenant { slug name } } }`;

describe('login and me', () => {
  it('returns the caller and their tenant', async () => {
    const login = await stack.gql(`mutation { login(email: "Admin@Acme.test", password: "switchboard-demo") { token expiresAt user { email role } } }`);
    expect(login.errors).toBeUndefined();
    expect(login.data.login.user).toEqual({ email: 'admin@acme.test', role: 'OWNER' });
    expect(new Date(login.data.login.expiresAt).getTime()).toBeGreaterThan(Date.now());

    const me = await stack.gql(ME, {}, { authorization: `Bearer ${login.data.login.token}` });
    expect(me.errors).toBeUndefined();
    expect(me.data.me).toMatchObject({ email: 'admin@acme.test', role: 'OWNER', tenant: { slug: 'acme', name: 'Acme Corporation' } });
  });

  it('refuses a wrong password with UNAUTHENTICATED and no token', async () => {
    const res = await stack.gql(`mutation { login(email: "admin@acme.test", password: "not-the-password") { token } }`);
    expect(codes(res)).toEqual(['UNAUTHENTICATED']);
    expect(res.data).toBeNull();
  });

  it('answers an unknown email exactly like a wrong password', async () => {
    const res = await stack.gql(`mutation { login(email: "nobody@acme.test", password: "switchboard-demo") { token } }`);
    expect(codes(res)).toEqual(['UNAUTHENTICATED']);
    expect(res.errors![0]!.message).toBe('Invalid email or password');
  });

  it('lets anonymous callers run login and nothing else', async () => {
    const res = await stack.gql(ME);
    expect(res.status).toBe(401);
    expect(codes(res)).toEqual(['UNAUTHENTICATED']);
    const mixed = await stack.gql(`mutation { login(email: "admin@acme.test", password: "switchboard-demo") { token } createApiKey(input: { name: "x", scopes: ["users:read"] }) { secret } }`);
    expect(mixed.status).toBe(401);
    expect(mixed.data).toBeUndefined();
  });

  it('refuses a forged, malformed or expired token', async () => {
    const secret = TEST_SECRETS.JWT_SECRET;
    const { token: expired } = signJwt({ sub: 'u', tid: 't', role: 'OWNER' }, secret, 60, Date.now() - 3_600_000);
    const { token: forged } = signJwt({ sub: 'u', tid: 't', role: 'OWNER' }, 'someone-elses-secret-entirely', 3600);
    for (const token of [expired, forged, 'not.a.jwt', 'garbage']) {
      const res = await stack.gql(ME, {}, { authorization: `Bearer ${token}` });
      expect(res.status).toBe(401);
      expect(codes(res)).toEqual(['UNAUTHENTICATED']);
    }
  });
});

describe('API keys', () => {
  const CREATE = `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id name prefix kind scopes revokedAt } } }`;

  it('works until it is revoked, then answers UNAUTHENTICATED at once', async () => {
    const admin = await stack.as('admin@acme.test');
    const created = await stack.gql(CREATE, { input: { name: 'CRM sync', scopes: ['users:read', 'tenant:read'] } }, admin);
    expect(created.errors).toBeUndefined();
    const { secret, apiKey } = created.data.createApiKey;
    expect(secret.startsWith(`${apiKey.prefix}_`)).toBe(true);
    expect(apiKey).toMatchObject({ name: 'CRM sync', kind: 'FIRST_PARTY', scopes: ['users:read', 'tenant:read'], revokedAt: null });

    const withKey = await stack.gql(`{ tenant { slug } users(first: 10) { totalCount } }`, {}, { 'x-api-key': secret });
    expect(withKey.errors).toBeUndefined();
    expect(withKey.data).toEqual({ tenant: { slug: 'acme' }, users: { totalCount: 5 } });

    const listed = await stack.gql(`{ apiKeys { id lastUsedAt } }`, {}, admin);
    expect(listed.data.apiKeys.find((k: any) => k.id === apiKey.id).lastUsedAt).not.toBeNull();

    const revoked = await stack.gql(`mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`, { id: apiKey.id }, admin);
    expect(revoked.data.revokeApiKey.revokedAt).not.toBeNull();

    const after = await stack.gql(`{ tenant { slug } }`, {}, { 'x-api-key': secret });
    expect(after.status).toBe(401);
    expect(codes(after)).toEqual(['UNAUTHENTICATED']);
  });

  it('stores only a hash of the secret', async () => {
    const admin = await stack.as('admin@acme.test');
    const { data } = await stack.gql(CREATE, { input: { name: 'hash check', scopes: ['users:read'] } }, admin);
    const rows = await stack.tenants.orm.em.getConnection().execute(
      `select secret_hash from "${stack.db.schemaPrefix}tenants"."api_key" where id = ?`,
      [data.createApiKey.apiKey.id],
    );
    expect(rows[0].secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(data.createApiKey.secret);
  });

  it('holds a key to its scopes and keeps keys from managing keys', async () => {
    const admin = await stack.as('admin@acme.test');
    const { data } = await stack.gql(CREATE, { input: { name: 'narrow', scopes: ['tenant:read'] } }, admin);
    const key = { 'x-api-key': data.createApiKey.secret };
    expect((await stack.gql(`{ tenant { slug } }`, {}, key)).data).toEqual({ tenant: { slug: 'acme' } });
    expect(codes(await stack.gql(`{ users { totalCount } }`, {}, key))).toEqual(['FORBIDDEN']);
    expect(codes(await stack.gql(CREATE, { input: { name: 'minted', scopes: ['tenant:read'] } }, key))).toEqual(['FORBIDDEN']);
  });

  it('stops working once expired, even when the gateway remembered it', async () => {
    const admin = await stack.as('admin@acme.test');
    const { data } = await stack.gql(CREATE, { input: { name: 'short', scopes: ['tenant:read'], expiresAt: new Date(Date.now() + 3_600_000).toISOString() } }, admin);
    const key = { 'x-api-key': data.createApiKey.secret };
    expect((await stack.gql(`{ tenant { slug } }`, {}, key)).errors).toBeUndefined();
    expect((await stack.gql(`{ tenant { slug } }`, {}, key)).errors).toBeUndefined(); // now from the gateway's memory
    // Two hours pass, for the gateway and for the database.
    skew = 2 * 3_600_000;
    await stack.tenants.orm.em.getConnection().execute(
      `update "${stack.db.schemaPrefix}tenants"."api_key" set expires_at = now() - interval '1 second' where id = ?`,
      [data.createApiKey.apiKey.id],
    );
    try {
      expect(codes(await stack.gql(`{ tenant { slug } }`, {}, key))).toEqual(['UNAUTHENTICATED']);
    } finally {
      skew = 0;
    }
  });

  it('refuses unknown scopes and past expiry naming the field', async () => {
    const admin = await stack.as('admin@acme.test');
    const bad = await stack.gql(CREATE, { input: { name: 'x', scopes: ['everything'] } }, admin);
    expect(bad.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'scopes' });
    const past = await stack.gql(CREATE, { input: { name: 'x', scopes: ['tenant:read'], expiresAt: '2020-01-01T00:00:00Z' } }, admin);
    expect(past.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'expiresAt' });
  });

  it('refuses a garbage expiresAt and a NUL byte in the name with BAD_USER_INPUT naming the field', async () => {
    const admin = await stack.as('admin@acme.test');
    const before = (await stack.gql(`{ apiKeys(first: 100) { id } }`, {}, admin)).data.apiKeys.length;
    for (const expiresAt of ['garbage', '2030-13-45T00:00:00Z', 12345]) {
      const res = await stack.gql(CREATE, { input: { name: 'x', scopes: ['tenant:read'], expiresAt } }, admin);
      expect([expiresAt, res.errors![0]!.extensions]).toMatchObject([expiresAt, { code: 'BAD_USER_INPUT', field: 'expiresAt' }]);
    }
    const literal = await stack.gql(`mutation { createApiKey(input: { name: "x", scopes: ["tenant:read"], expiresAt: "garbage" }) { secret } }`, {}, admin);
    expect(literal.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'expiresAt' });
    const nul = await stack.gql(CREATE, { input: { name: 'crm\u0000', scopes: ['tenant:read'] } }, admin);
    expect(nul.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
    expect((await stack.gql(`{ apiKeys(first: 100) { id } }`, {}, admin)).data.apiKeys.length).toBe(before);
  });

  it('lists at most 20 by default and pages with a capped `first` and the last id as `after`', async () => {
    const owner = await stack.as('admin@globex.test');
    for (let i = 0; i < 23; i++) {
      const res = await stack.gql(CREATE, { input: { name: `bulk ${i}`, scopes: ['tenant:read'] } }, owner);
      expect(res.errors).toBeUndefined();
    }
    const LIST = `query($first: Int, $after: ID) { apiKeys(first: $first, after: $after) { id name createdAt } }`;
    expect((await stack.gql(`{ apiKeys { id } }`, {}, owner)).data.apiKeys).toHaveLength(20);
    const seen: { id: string; name: string; createdAt: string }[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const keys: typeof seen = (await stack.gql(LIST, { first: 10, after }, owner)).data.apiKeys;
      seen.push(...keys);
      if (keys.length < 10) break;
      after = keys.at(-1)!.id;
    }
    expect(seen).toHaveLength(23);
    expect(new Set(seen.map((k) => k.id)).size).toBe(23);
    expect(seen.map((k) => k.name)).toEqual(Array.from({ length: 23 }, (_, i) => `bulk ${22 - i}`));
    expect((await stack.gql(LIST, { first: 101 }, owner)).errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect((await stack.gql(LIST, { first: 0 }, owner)).errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    // Another tenant's key id is no cursor here, and says nothing about that key.
    const acmeKey = (await stack.gql(`{ apiKeys(first: 1) { id } }`, {}, await stack.as('admin@acme.test'))).data.apiKeys[0].id;
    const foreign = await stack.gql(LIST, { after: acmeKey }, owner);
    const bogus = await stack.gql(LIST, { after: '00000000-0000-4000-8000-000000000000' }, owner);
    // Like an id that is not in the list: an empty page, the same for both.
    expect(foreign).toMatchObject({ data: { apiKeys: [] } });
    expect(foreign.errors).toBeUndefined();
    expect(bogus.data).toEqual(foreign.data);
  });

  it('refuses an unknown key', async () => {
    const res = await stack.gql(`{ tenant { slug } }`, {}, { 'x-api-key': 'sb_nothing_nothingnothingnothing' });
    expect(res.status).toBe(401);
    expect(codes(res)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('remembered credentials', () => {
  /** SQL statements the tenants subgraph has sent so far (its Prometheus counter). */
  const tenantsStatements = async () => {
    const text = await (await fetch(stack.tenants.url.replace('/graphql', '/metrics'))).text();
    return Number(/^db_statements_total(?:\{[^}]*\})? (\d+)/m.exec(text)![1]);
  };
  /**
   * The statements tenants sent during `request`, the fewest over five tries: the counter also
   * counts tenants' background work (the outbox relay's poll), which can only add to a try.
   */
  const statementsOf = async (request: (attempt: number) => Promise<unknown>, tries = 5) => {
    let fewest = Infinity;
    for (let attempt = 0; attempt < tries; attempt++) {
      const before = await tenantsStatements();
      await request(attempt);
      fewest = Math.min(fewest, (await tenantsStatements()) - before);
    }
    return fewest;
  };
  // `{ __typename }` is answered by the gateway itself: what tenants does is the lookup alone.
  const TYPENAME = `{ __typename }`;

  it('cost one statement in tenants when the gateway does not remember them, and none when it does', async () => {
    // The first request of three users this gateway has not seen: the user joined to its (active) tenant.
    const fresh = await Promise.all(['supervisor@acme.test', 'agent@acme.test', 'agent@globex.test'].map((email) => stack.as(email)));
    expect(await statementsOf(async (attempt) => expect((await stack.gql(TYPENAME, {}, fresh[attempt])).data).toEqual({ __typename: 'Query' }), fresh.length)).toBe(1);

    const analyst = await stack.as('analyst@acme.test');
    const { id } = (await stack.gql(`{ me { id } }`, {}, analyst)).data.me; // now remembered
    expect(await statementsOf(async () => expect((await stack.gql(TYPENAME, {}, analyst)).data).toEqual({ __typename: 'Query' }))).toBe(0);

    // A token whose user is not in the tenant it names: never remembered, so each try is a
    // lookup — the user joined to its (active) tenant, one statement — and it is refused.
    const stranger = (attempt: number) => ({ authorization: `Bearer ${signJwt({ sub: id, tid: `00000000-0000-4000-8000-00000000000${attempt}`, role: 'ANALYST' }, TEST_SECRETS.JWT_SECRET, 600).token}` });
    expect(await statementsOf(async (attempt) => expect(codes(await stack.gql(TYPENAME, {}, stranger(attempt)))).toEqual(['UNAUTHENTICATED']))).toBe(1);

    // An API key's first use: the key joined to its tenant, and when it was used (once a minute at most).
    const admin = await stack.as('admin@acme.test');
    const keys: string[] = [];
    for (let i = 0; i < 5; i++) keys.push((await stack.gql(`mutation { createApiKey(input: { name: "counted ${i}", scopes: ["tenant:read"] }) { secret } }`, {}, admin)).data.createApiKey.secret);
    expect(await statementsOf(async (attempt) => expect((await stack.gql(TYPENAME, {}, { 'x-api-key': keys[attempt]! })).data).toEqual({ __typename: 'Query' }))).toBe(2);
  });

  it('follow a role change on the very next request', async () => {
    const admin = await stack.as('admin@acme.test');
    const agent2 = await stack.as('agent2@acme.test');
    const CREATE_KEY = `mutation { createApiKey(input: { name: "mine", scopes: ["tenant:read"] }) { secret } }`;
    expect(codes(await stack.gql(CREATE_KEY, {}, agent2))).toEqual(['FORBIDDEN']); // remembered as AGENT
    const { id } = (await stack.gql(`{ me { id } }`, {}, agent2)).data.me;
    await stack.gql(`mutation($id: ID!) { updateUserRole(id: $id, role: ADMIN) { role } }`, { id }, admin);
    expect((await stack.gql(CREATE_KEY, {}, agent2)).errors).toBeUndefined();
    await stack.gql(`mutation($id: ID!) { updateUserRole(id: $id, role: AGENT) { role } }`, { id }, admin);
    expect(codes(await stack.gql(CREATE_KEY, {}, agent2))).toEqual(['FORBIDDEN']);
  });
});
