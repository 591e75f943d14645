import net from 'node:net';
import { AuditEntry, createLogger } from '@switchboard/kit';
import { TEST_SECRETS, testDatabase } from '@switchboard/kit/src/testing';
import { bootstrap, migrations, readTenantsConfig, seedDemo } from '../src/app';
import { dummyHash, hashPassword, needsRehash, verifyPassword } from '../src/modules/auth/password';
import { Tenant } from '../src/modules/tenants/tenant.entity';
import { User } from '../src/modules/users/user.entity';

const db = testDatabase();
const silent = createLogger({}, 'silent');
const config = () => ({ ...readTenantsConfig({ ...TEST_SECRETS, TENANTS_PORT: '0', DB_SCHEMA_PREFIX: db.schemaPrefix }), DATABASE_URL: db.url });

afterAll(() => db.drop());

describe('tenants bootstrap', () => {
  it('migrates an empty schema, seeds the demo once, and starts again on the same data', async () => {
    const first = await bootstrap(config(), silent);
    try {
      expect(await seedDemo(first.orm, { scryptN: 2 ** 14 })).toEqual({ seeded: true });
      expect(await seedDemo(first.orm, { scryptN: 2 ** 14 })).toEqual({ seeded: false });
      const em = first.orm.em.fork();
      expect(await em.count(Tenant, {})).toBe(2);
      expect(await em.count(User, {}, { filters: false })).toBe(7);
      // Seeding is a write like any other: audited, as the system.
      const entries = await em.find(AuditEntry, {}, { filters: false });
      expect(entries).toHaveLength(9);
      expect(entries.every((e) => e.actorKind === 'system' && e.action === 'CREATE')).toBe(true);
      expect(JSON.stringify(entries)).not.toContain('scrypt$');
    } finally {
      await first.close();
    }
    const second = await bootstrap(config(), silent);
    try {
      const applied = await second.orm.getMigrator().getExecutedMigrations();
      expect(applied.map((m) => m.name)).toEqual(migrations.map((m) => m.name)); // every one, in order, once
      expect(applied.map((m) => m.name)).toEqual(expect.arrayContaining(['Migration00000000000000AuditLog', 'Migration20261123000001Tenants', 'Migration20261201000021UserEmailPerTenant', 'Migration20261201000200SecurityEvents']));
      expect(await second.orm.em.fork().count(Tenant, {})).toBe(2);
    } finally {
      await second.close();
    }
  });

  it('says which variable to change when its port is taken', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      await expect(bootstrap({ ...config(), TENANTS_PORT: port }, silent)).rejects.toThrow(`port ${port} is in use on 127.0.0.1: set TENANTS_PORT to a free port`);
    } finally {
      await new Promise((r) => busy.close(r));
    }
  });

  it('throws when a query forgets its tenant instead of reading every tenant', async () => {
    const app = await bootstrap(config(), silent);
    try {
      await expect(app.orm.em.fork().find(User, {})).rejects.toThrow(/No arguments provided for filter 'tenant'/);
    } finally {
      await app.close();
    }
  });
});

describe('passwords', () => {
  it('verify only the password they were made from, at N = 2^17 unless told otherwise', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(needsRehash(hash)).toBe(false);
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    // The rest at 2^14: each 2^17 scrypt is ~0.4 s of a core.
    expect(dummyHash()).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(await verifyPassword('anything', dummyHash(2 ** 14))).toBe(false);
    const cheap = await hashPassword('same', 2 ** 14);
    expect(await verifyPassword('Same', cheap)).toBe(false);
    expect(cheap).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPassword('same', cheap)).toBe(true);
    expect(needsRehash(cheap)).toBe(true);
    expect(needsRehash(cheap, 2 ** 14)).toBe(false);
    expect(await hashPassword('same', 2 ** 14)).not.toBe(cheap);
  });

  it('refuse stored parameters that are not scrypt or would cost unbounded memory', async () => {
    expect(await verifyPassword('x', 'scrypt$4194304$8$1$c2FsdA$AAAA')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$1000$8$1$c2FsdA$AAAA')).toBe(false);
    expect(await verifyPassword('x', 'md5$whatever')).toBe(false);
  });
});

describe('configuration', () => {
  it('refuses a password cost below 2^17 in production and one that is not a power of two', () => {
    expect(() => readTenantsConfig({ ...TEST_SECRETS, NODE_ENV: 'production', PASSWORD_SCRYPT_N: '16384' })).toThrow('PASSWORD_SCRYPT_N must be ≥ 131072 when NODE_ENV=production');
    expect(() => readTenantsConfig({ ...TEST_SECRETS, PASSWORD_SCRYPT_N: '100000' })).toThrow('PASSWORD_SCRYPT_N must be a power of two');
    expect(readTenantsConfig({ ...TEST_SECRETS }).PASSWORD_SCRYPT_N).toBe(2 ** 17);
  });

  it('refuses to start without real secrets outside demo mode, naming each variable', () => {
    expect(() => readTenantsConfig({})).toThrow(/INTERNAL_SECRET is required[\s\S]*JWT_SECRET is required/);
    expect(readTenantsConfig({ SEED_DEMO: 'true' }).JWT_SECRET).toBe('switchboard-dev-jwt-secret-change-me');
  });
});
