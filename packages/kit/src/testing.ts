import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * The secrets every test passes explicitly: services refuse to start without real
 * secrets outside demo mode, and tests are not demo mode.
 */
export const TEST_SECRETS = {
  INTERNAL_SECRET: 'switchboard-test-internal-secret',
  JWT_SECRET: 'switchboard-test-jwt-secret',
  /** The models subgraph's key for tenants' provider API keys at rest. */
  PROVIDER_KEY_ENCRYPTION_KEY: 'switchboard-test-provider-key',
} as const;

/**
 * A database for one test file: the run's PostgreSQL (the real one from DATABASE_URL, or
 * the embedded one the global setup started) and a schema prefix no other file uses, so
 * files run in parallel and in any order. `drop()` removes the file's schemas.
 */
export interface TestDatabase {
  url: string;
  schemaPrefix: string;
  embedded: boolean;
  drop(): Promise<void>;
}

export function testDatabase(): TestDatabase {
  const url = process.env.SWITCHBOARD_TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!url) throw new Error('No test database: run tests through jest (its global setup provides one)');
  const schemaPrefix = `t${randomBytes(5).toString('hex')}_`;
  return {
    url,
    schemaPrefix,
    embedded: process.env.SWITCHBOARD_TEST_EMBEDDED === '1',
    async drop() {
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ nspname: string }>('select nspname from pg_namespace where nspname like $1', [`${schemaPrefix}%`]);
        for (const { nspname } of rows) await client.query(`drop schema "${nspname}" cascade`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Deterministic random numbers in [0, 1) (mulberry32): a test's draws are the same every run, and a failing seed can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
