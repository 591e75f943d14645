import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { loadRegistry, REPOSITORY_ROOT } from '@switchboard/kit';
import { TEST_SECRETS, testDatabase } from '@switchboard/kit/src/testing';

/** `npm run migrate` (what the Kubernetes migration Job runs): every subgraph's schema, migrated, then exit 0; a second run has nothing to do. */
it('migrates every subgraph of the registry and exits, twice in a row', async () => {
  const db = testDatabase();
  const run = () =>
    promisify(execFile)(process.execPath, ['-r', './scripts/register.cjs', 'packages/kit/src/migrate-cli.ts'], {
      cwd: REPOSITORY_ROOT,
      env: { PATH: process.env.PATH, ...TEST_SECRETS, DATABASE_URL: db.url, DB_SCHEMA_PREFIX: db.schemaPrefix, LOG_LEVEL: 'info' },
      timeout: 120_000,
    });
  const client = new Client({ connectionString: db.url });
  try {
    const first = await run();
    expect(first.stdout.split('\n').filter((l) => l.includes('"msg":"migrated"'))).toHaveLength(loadRegistry().length);
    await run(); // applied migrations are skipped
    await client.connect();
    const { rows } = await client.query<{ schema: string; n: number }>(
      `select table_schema as schema, count(*)::int as n from information_schema.tables where table_name = 'mikro_orm_migrations' and starts_with(table_schema, $1) group by 1`,
      [db.schemaPrefix],
    );
    expect(rows.map((r) => r.schema).sort()).toEqual(loadRegistry().map((s) => `${db.schemaPrefix}${s.name}`).sort());
    // Nothing was consumed or relayed, and no demo data written.
    const users = await client.query(`select count(*)::int as n from "${db.schemaPrefix}tenants"."user"`);
    expect(users.rows[0].n).toBe(0);
  } finally {
    await client.end().catch(() => {});
    await db.drop();
  }
}, 240_000);
