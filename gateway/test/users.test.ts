import { DEMO_PASSWORD } from '@switchboard/tenants';
import { codes, startStack, TEST_SCRYPT_N, type Stack } from './stack';

let stack: Stack;
let admin: Record<string, string>;
beforeAll(async () => {
  stack = await startStack();
  admin = await stack.as('admin@acme.test');
});
afterAll(() => stack.close());

const CREATE = `mutation($input: CreateUserInput!) { createUser(input: $input) { id email name role skills tenant { slug } } }`;
const ROLE = `mutation($id: ID!, $role: Role!) { updateUserRole(id: $id, role: $role) { id role } }`;
const input = (over: Record<string, unknown> = {}) => ({ email: 'new.agent@acme.test', name: 'New Agent', role: 'AGENT', password: 'a-long-password', skills: ['Billing'], ...over });

async function userCount(): Promise<number> {
  return (await stack.gql(`{ users { totalCount } }`, {}, admin)).data.users.totalCount;
}

describe('createUser', () => {
  it('creates a user who can then log in', async () => {
    const res = await stack.gql(CREATE, { input: input() }, admin);
    expect(res.errors).toBeUndefined();
    expect(res.data.createUser).toMatchObject({ email: 'new.agent@acme.test', role: 'AGENT', skills: ['billing'], tenant: { slug: 'acme' } });
    const login = await stack.gql(`mutation { login(email: "new.agent@acme.test", password: "a-long-password") { user { id } } }`);
    expect(login.data.login.user.id).toBe(res.data.createUser.id);
  });

  it('lets another tenant use an address one tenant has, and answers CONFLICT only within a tenant', async () => {
    const globex = await stack.as('admin@globex.test');
    const inGlobex = await stack.gql(CREATE, { input: input({ email: 'shared@example.test', password: 'the-globex-password' }) }, globex);
    expect(inGlobex.errors).toBeUndefined();
    const before = await userCount();
    // The same address in acme: created, with nothing said about globex.
    const inAcme = await stack.gql(CREATE, { input: input({ email: 'Shared@Example.test', password: 'the-acme-password' }) }, admin);
    expect(inAcme.errors).toBeUndefined();
    expect(inAcme.data.createUser).toMatchObject({ email: 'shared@example.test', tenant: { slug: 'acme' } });
    expect(inAcme.data.createUser.id).not.toBe(inGlobex.data.createUser.id);
    expect(await userCount()).toBe(before + 1);
    // Twice in one tenant: CONFLICT, nothing stored.
    const same = await stack.gql(CREATE, { input: input({ email: 'NEW.AGENT@acme.test' }) }, admin);
    expect(codes(same)).toEqual(['CONFLICT']);
    expect(same.errors![0]!.extensions).toMatchObject({ field: 'email' });
    const again = await stack.gql(CREATE, { input: input({ email: 'shared@example.test' }) }, admin);
    expect(codes(again)).toEqual(['CONFLICT']);
    expect(await userCount()).toBe(before + 1);
  });

  it.each([
    ['email', { email: 'not-an-email' }],
    ['name', { name: '   ' }],
    ['password', { password: 'short' }],
    ['skills', { skills: ['x'.repeat(51)] }],
    ['email', { email: 'nul\u0000byte@acme.test' }],
    ['name', { name: 'Ada\u0000Lovelace' }],
    ['skills', { skills: ['bill\u0000ing'] }],
  ])('answers BAD_USER_INPUT naming %s', async (field, over) => {
    const before = await userCount();
    const res = await stack.gql(CREATE, { input: input({ email: `${field}.case@acme.test`, ...over }) }, admin);
    expect(res.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await userCount()).toBe(before);
  });

  it('answers QUOTA_EXCEEDED past the plan’s seats', async () => {
    const globex = await stack.as('admin@globex.test');
    const seats = (await stack.gql(`{ tenant { quotas { seats } } users { totalCount } }`, {}, globex)).data;
    let created = 0;
    for (let i = seats.users.totalCount; i < seats.tenant.quotas.seats; i++) {
      const r = await stack.gql(CREATE, { input: input({ email: `seat${i}@globex.test` }) }, globex);
      expect(r.errors).toBeUndefined();
      created++;
    }
    const over = await stack.gql(CREATE, { input: input({ email: 'one.too.many@globex.test' }) }, globex);
    expect(over.errors![0]!.extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', quota: 'seats' });
    expect(created).toBeGreaterThan(0);
  });

  it('lets only an OWNER create an OWNER', async () => {
    const created = await stack.gql(CREATE, { input: input({ email: 'second.admin@acme.test', role: 'ADMIN' }) }, admin);
    expect(created.errors).toBeUndefined();
    const token = (await stack.gql(`mutation { login(email: "second.admin@acme.test", password: "a-long-password") { token } }`)).data.login.token;
    const res = await stack.gql(CREATE, { input: input({ email: 'sneaky.owner@acme.test', role: 'OWNER' }) }, { authorization: `Bearer ${token}` });
    expect(codes(res)).toEqual(['FORBIDDEN']);
  });
});

describe('updateUserRole', () => {
  it('refuses to demote the last OWNER with CONFLICT', async () => {
    const me = (await stack.gql(`{ me { id } }`, {}, admin)).data.me;
    const res = await stack.gql(ROLE, { id: me.id, role: 'ADMIN' }, admin);
    expect(codes(res)).toEqual(['CONFLICT']);
    expect((await stack.gql(`{ me { role } }`, {}, admin)).data.me.role).toBe('OWNER');
  });

  it('lets an OWNER step down once there is another OWNER', async () => {
    const globex = await stack.as('admin@globex.test');
    const users = (await stack.gql(`{ users(first: 100) { nodes { id email role } } }`, {}, globex)).data.users.nodes;
    const me = users.find((u: any) => u.email === 'admin@globex.test');
    const other = users.find((u: any) => u.email === 'agent@globex.test');
    expect((await stack.gql(ROLE, { id: other.id, role: 'OWNER' }, globex)).data.updateUserRole.role).toBe('OWNER');
    expect((await stack.gql(ROLE, { id: me.id, role: 'ADMIN' }, globex)).data.updateUserRole.role).toBe('ADMIN');
  });

  it('never leaves a tenant without an OWNER, even when two owners demote each other at once', async () => {
    const acmeUsers = (await stack.gql(`{ users(first: 100) { nodes { id email } } }`, {}, admin)).data.users.nodes;
    const me = acmeUsers.find((u: any) => u.email === 'admin@acme.test');
    const sup = acmeUsers.find((u: any) => u.email === 'supervisor@acme.test');
    await stack.gql(ROLE, { id: sup.id, role: 'OWNER' }, admin);
    const supToken = await stack.as('supervisor@acme.test'); // token issued after promotion: role OWNER
    const [a, b] = await Promise.all([
      stack.gql(ROLE, { id: sup.id, role: 'AGENT' }, admin),
      stack.gql(ROLE, { id: me.id, role: 'AGENT' }, supToken),
    ]);
    // One wins. The other is refused: CONFLICT if it saw both owners, FORBIDDEN if its
    // caller had already been demoted by the time it was authenticated.
    const outcomes = [codes(a)[0] ?? 'ok', codes(b)[0] ?? 'ok'];
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(1);
    expect(outcomes.find((o) => o !== 'ok')).toMatch(/^(CONFLICT|FORBIDDEN)$/);
    const owners = (await stack.tenants.orm.em.getConnection().execute(
      `select count(*)::int as n from "${stack.db.schemaPrefix}tenants"."user" u join "${stack.db.schemaPrefix}tenants"."tenant" t on t.id = u.tenant_id where t.slug = 'acme' and u.role = 'OWNER'`,
    ))[0].n;
    expect(owners).toBe(1);
  });

  it('is recorded in the audit log with the role before and after, and who did it', async () => {
    const agent = (await stack.gql(`{ users(first: 100) { nodes { id email } } }`, {}, admin)).data.users.nodes.find((u: any) => u.email === 'agent2@acme.test');
    // Whoever is OWNER now (the previous test left exactly one).
    const owner = (await stack.gql(`{ users(first: 100) { nodes { email role } } }`, {}, admin)).data.users.nodes.find((u: any) => u.role === 'OWNER');
    const ownerAuth = await stack.as(owner.email);
    const ownerId = (await stack.gql(`{ me { id } }`, {}, ownerAuth)).data.me.id;
    await stack.gql(ROLE, { id: agent.id, role: 'SUPERVISOR' }, ownerAuth);
    const log = await stack.gql(`{ auditLog(first: 5) { nodes { actorKind actorId entity entityId action changes traceId createdAt } } }`, {}, ownerAuth);
    expect(log.data.auditLog.nodes[0]).toMatchObject({
      actorKind: 'user',
      actorId: ownerId,
      entity: 'User',
      entityId: agent.id,
      action: 'UPDATE',
      changes: { role: { from: 'AGENT', to: 'SUPERVISOR' } },
    });
    expect(Object.keys(log.data.auditLog.nodes[0].changes)).toEqual(['role']);
  });

  it('writes the change and its audit entry together or not at all', async () => {
    const owner = (await stack.gql(`{ users(first: 100) { nodes { id email role } } }`, {}, admin)).data.users.nodes.find((u: any) => u.role === 'OWNER');
    const ownerAuth = await stack.as(owner.email);
    const count = (await stack.gql(`{ auditLog { totalCount } }`, {}, ownerAuth)).data.auditLog.totalCount;
    const refused = await stack.gql(ROLE, { id: owner.id, role: 'AGENT' }, ownerAuth); // last owner
    expect(codes(refused)).toEqual(['CONFLICT']);
    expect((await stack.gql(`{ auditLog { totalCount } }`, {}, ownerAuth)).data.auditLog.totalCount).toBe(count);
  });
});

describe('users(first, after)', () => {
  it('pages through every user once, in a stable order', async () => {
    const all = (await stack.gql(`{ users(first: 100) { totalCount nodes { id } } }`, {}, admin)).data.users;
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 20; i++) {
      const page: any = (await stack.gql(`query($after: String) { users(first: 2, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`, { after }, admin)).data.users;
      seen.push(...page.edges.map((e: any) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(all.nodes.map((n: any) => n.id));
    expect(new Set(seen).size).toBe(all.totalCount);
  });

  it('refuses a page size over 100 and a made-up cursor', async () => {
    expect((await stack.gql(`{ users(first: 101) { totalCount } }`, {}, admin)).errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect((await stack.gql(`{ users(after: "bogus") { totalCount } }`, {}, admin)).errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });
});

describe('login when an address has accounts in several tenants', () => {
  // shared@example.test is in globex (the-globex-password) and acme (the-acme-password), from above.
  const LOGIN = `mutation($e: String!, $p: String!, $t: String) { login(email: $e, password: $p, tenant: $t) { user { email tenant { slug } } } }`;
  const login = (e: string, p: string, t?: string) => stack.gql(LOGIN, { e, p, t });
  /** What an attacker sees of a refusal: status, codes, messages, every extension but the trace id. */
  const seen = (res: Awaited<ReturnType<typeof login>>) => ({
    status: res.status,
    data: res.data,
    errors: res.errors?.map(({ message, extensions }) => ({ message, extensions: { ...extensions, traceId: undefined } })),
  });

  it('signs in to the tenant the slug names', async () => {
    expect((await login('shared@example.test', 'the-acme-password', 'acme')).data.login.user).toEqual({ email: 'shared@example.test', tenant: { slug: 'acme' } });
    expect((await login('shared@example.test', 'the-globex-password', 'GLOBEX')).data.login.user).toEqual({ email: 'shared@example.test', tenant: { slug: 'globex' } });
    // An address with one account needs no slug (and accepts the right one).
    expect((await login('agent@acme.test', DEMO_PASSWORD)).data.login.user.tenant.slug).toBe('acme');
    expect((await login('agent@acme.test', DEMO_PASSWORD, 'acme')).data.login.user.tenant.slug).toBe('acme');
  });

  it('answers an ambiguous address, an unknown one, a wrong password and a wrong slug identically', async () => {
    const wrongPassword = seen(await login('agent@acme.test', 'not-the-password'));
    expect(wrongPassword.errors).toEqual([{ message: 'Invalid email or password', extensions: { code: 'UNAUTHENTICATED' } }]);
    const refusals = {
      unknownEmail: await login('nobody@example.test', 'the-acme-password'),
      ambiguousWithRightPassword: await login('shared@example.test', 'the-acme-password'),
      rightSlugWrongPassword: await login('shared@example.test', 'the-globex-password', 'acme'),
      unknownSlug: await login('shared@example.test', 'the-acme-password', 'no-such-tenant'),
      slugWithoutThatAccount: await login('agent@acme.test', DEMO_PASSWORD, 'globex'),
    };
    for (const [name, res] of Object.entries(refusals)) expect([name, seen(res)]).toEqual([name, wrongPassword]);
  });

  it('does the same password work whatever matched: one scrypt at the configured cost per attempt', async () => {
    const crypto = require('node:crypto') as typeof import('node:crypto');
    const spy = jest.spyOn(crypto, 'scrypt');
    try {
      const attempts: [string, string, string?][] = [
        ['nobody@example.test', 'x-password-1'],
        ['shared@example.test', 'the-acme-password'],
        ['shared@example.test', 'the-acme-password', 'no-such-tenant'],
        ['agent@acme.test', 'not-the-password'],
      ];
      for (const [e, p, t] of attempts) {
        spy.mockClear();
        expect(codes(await login(e, p, t))).toEqual(['UNAUTHENTICATED']);
        expect([e, t, spy.mock.calls.map((c) => (c[3] as { N: number }).N)]).toEqual([e, t, [TEST_SCRYPT_N]]);
      }
    } finally {
      spy.mockRestore();
    }
  });

  it('refuses a NUL byte in the email or slug with BAD_USER_INPUT naming the field', async () => {
    expect((await login('agent\u0000@acme.test', DEMO_PASSWORD)).errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'email' });
    expect((await login('agent@acme.test', DEMO_PASSWORD, 'ac\u0000me')).errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'tenant' });
  });
});
