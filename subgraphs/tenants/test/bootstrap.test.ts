import { AuditEntry, createLogger } from '@switchboard/kit';
import { testDatabase } from '@switchboard/kit/src/testing';
import { bootstrap, migrations, readTenantsConfig, seedDemo } from '../src/app';
import { hashPassword, verifyPassword, DUMMY_HASH } from '../src/modules/auth/password';
import { Tenant } from '../src/modules/tenants/tenant.entity';
import { User } from '../src/modules/users/user.entity';

const db = testDatabase();
const silent = createLogger({}, 'silent');
const config = () => ({ ...readTenantsConfig({ TENANTS_PORT: '0', HOST: '127.0.0.1', DB_SCHEMA_PREFIX: db.schemaPrefix }), DATABASE_URL: db.url });

afterAll(() => db.drop());

describe('tenants bootstrap', () => {
  it('migrates an empty schema, seeds the demo once, and starts again on the same data', async () => {
    const first = await bootstrap(config(), silent);
    try {
      expect(await seedDemo(first.orm)).toEqual({ seeded: true });
      expect(await seedDemo(first.orm)).toEqual({ seeded: false });
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
      expect(applied.map((m) => m.name).slice(0, 3)).toEqual(['Migration00000000000000AuditLog', 'Migration00000000000001Events', 'Migration20261123000001Tenants']);
      expect(await second.orm.em.fork().count(Tenant, {})).toBe(2);
    } finally {
      await second.close();
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
  it('verify only the password they were made from', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterY', hash)).toBe(false);
    expect(await verifyPassword('anything', DUMMY_HASH)).toBe(false);
    expect(await hashPassword('same')).not.toBe(await hashPassword('same'));
  });
});
