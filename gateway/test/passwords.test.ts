import { startStack, TEST_SCRYPT_N, type Stack } from './stack';
import { DEMO_PASSWORD } from '@switchboard/tenants';
import { hashPassword } from '@switchboard/tenants/src/modules/auth/password';

/**
 * Password hashes at production's cost (N = 2^17) while the demo data was seeded at the
 * tests' 2^14: a login with an old hash succeeds and replaces it.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ tenantsEnv: { PASSWORD_SCRYPT_N: String(2 ** 17) } });
  // Hashes from before the cost was raised: the tests' 2^14, as a database migrated from then holds.
  for (const email of ['agent@acme.test', 'analyst@acme.test']) {
    await stack.tenants.orm.em.getConnection().execute(`update "${stack.db.schemaPrefix}tenants"."user" set password_hash = ? where email = ?`, [await hashPassword(DEMO_PASSWORD, TEST_SCRYPT_N), email]);
  }
});
afterAll(() => stack.close());

async function storedHash(email: string): Promise<string> {
  const rows = await stack.tenants.orm.em.getConnection().execute(`select password_hash from "${stack.db.schemaPrefix}tenants"."user" where email = ?`, [email]);
  return rows[0].password_hash;
}

const LOGIN = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { user { email } } }`;

describe('a login with a hash from before the cost was raised', () => {
  it('succeeds and rehashes the password at N = 2^17, once', async () => {
    expect(TEST_SCRYPT_N).toBe(2 ** 14);
    const old = await storedHash('agent@acme.test');
    expect(old).toMatch(/^scrypt\$16384\$8\$1\$/);

    const first = await stack.gql(LOGIN, { e: 'agent@acme.test', p: DEMO_PASSWORD });
    expect(first.errors).toBeUndefined();
    const rehashed = await storedHash('agent@acme.test');
    expect(rehashed).toMatch(/^scrypt\$131072\$8\$1\$/);

    // The new hash works, and is not replaced again.
    const second = await stack.gql(LOGIN, { e: 'agent@acme.test', p: DEMO_PASSWORD });
    expect(second.data.login.user.email).toBe('agent@acme.test');
    expect(await storedHash('agent@acme.test')).toBe(rehashed);
  });

  it('keeps the old hash when the password is wrong', async () => {
    const old = await storedHash('analyst@acme.test');
    const res = await stack.gql(LOGIN, { e: 'analyst@acme.test', p: 'not-the-password' });
    expect(res.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    expect(await storedHash('analyst@acme.test')).toBe(old);
  });

  it('gives new users a 2^17 hash', async () => {
    const admin = await stack.as('admin@acme.test');
    const res = await stack.gql(`mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`, {
      input: { email: 'fresh@acme.test', name: 'Fresh', role: 'AGENT', password: 'a-long-password' },
    }, admin);
    expect(res.errors).toBeUndefined();
    expect(await storedHash('fresh@acme.test')).toMatch(/^scrypt\$131072\$8\$1\$/);
  });
});
