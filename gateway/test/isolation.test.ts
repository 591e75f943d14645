import { codes, startStack, type Stack } from './stack';

let stack: Stack;
let acmeAgentId: string;
beforeAll(async () => {
  stack = await startStack();
  const users = await stack.gql(`{ users(first: 50) { nodes { id email } } }`, {}, await stack.as('admin@acme.test'));
  acmeAgentId = users.data.users.nodes.find((u: any) => u.email === 'agent@acme.test').id;
});
afterAll(() => stack.close());

describe('tenant isolation through the gateway', () => {
  it('answers NOT_FOUND when a globex admin asks for an acme user', async () => {
    const res = await stack.gql(`query($id: ID!) { user(id: $id) { email } }`, { id: acmeAgentId }, await stack.as('admin@globex.test'));
    expect(codes(res)).toEqual(['NOT_FOUND']);
    expect(JSON.stringify(res)).not.toContain('agent@acme.test');
  });

  it('lists only the caller’s users', async () => {
    const res = await stack.gql(`{ users(first: 100) { totalCount nodes { email tenant { slug } } } }`, {}, await stack.as('admin@globex.test'));
    expect(res.data.users.totalCount).toBe(2);
    expect(res.data.users.nodes.every((u: any) => u.tenant.slug === 'globex')).toBe(true);
  });

  it('cannot change or revoke another tenant’s rows, and changes nothing trying', async () => {
    const globex = await stack.as('admin@globex.test');
    const role = await stack.gql(`mutation($id: ID!) { updateUserRole(id: $id, role: ADMIN) { role } }`, { id: acmeAgentId }, globex);
    expect(codes(role)).toEqual(['NOT_FOUND']);

    const acme = await stack.as('admin@acme.test');
    const key = await stack.gql(`mutation { createApiKey(input: { name: "acme key", scopes: ["tenant:read"] }) { secret apiKey { id } } }`, {}, acme);
    const revoke = await stack.gql(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: key.data.createApiKey.apiKey.id }, globex);
    expect(codes(revoke)).toEqual(['NOT_FOUND']);

    const still = await stack.gql(`query($id: ID!) { user(id: $id) { role } }`, { id: acmeAgentId }, acme);
    expect(still.data.user.role).toBe('AGENT');
    const keyWorks = await stack.gql(`{ tenant { slug } }`, {}, { 'x-api-key': key.data.createApiKey.secret });
    expect(keyWorks.data.tenant.slug).toBe('acme');
  });

  it('shows an audit log and key list of the caller’s tenant only', async () => {
    const globex = await stack.as('admin@globex.test');
    const audit = await stack.gql(`{ auditLog(first: 100) { nodes { entity entityId changes } } }`, {}, globex);
    expect(JSON.stringify(audit.data)).not.toContain('acme');
    const keys = await stack.gql(`{ apiKeys { name } }`, {}, globex);
    expect(keys.data.apiKeys).toEqual([]);
  });

  it('answers NOT_FOUND, not a database error, for an id that is not a UUID', async () => {
    const res = await stack.gql(`{ user(id: "1 or 1=1") { email } }`, {}, await stack.as('admin@acme.test'));
    expect(codes(res)).toEqual(['NOT_FOUND']);
  });
});

describe('roles', () => {
  it('refuses an AGENT creating an API key with FORBIDDEN', async () => {
    const res = await stack.gql(`mutation { createApiKey(input: { name: "mine", scopes: ["tenant:read"] }) { secret } }`, {}, await stack.as('agent@acme.test'));
    expect(codes(res)).toEqual(['FORBIDDEN']);
    expect(res.data).toBeNull();
  });

  it('refuses an ANALYST creating users or reading the audit log', async () => {
    const analyst = await stack.as('analyst@acme.test');
    const create = await stack.gql(
      `mutation { createUser(input: { email: "x@acme.test", name: "X", role: AGENT, password: "long-enough-pw" }) { id } }`,
      {},
      analyst,
    );
    expect(codes(create)).toEqual(['FORBIDDEN']);
    expect(codes(await stack.gql(`{ auditLog { totalCount } }`, {}, analyst))).toEqual(['FORBIDDEN']);
    expect(codes(await stack.gql(`{ apiKeys { id } }`, {}, analyst))).toEqual(['FORBIDDEN']);
  });

  it('lets every role read its colleagues', async () => {
    const res = await stack.gql(`{ users { totalCount } }`, {}, await stack.as('analyst@acme.test'));
    expect(res.data.users.totalCount).toBeGreaterThanOrEqual(5);
  });
});
