/**
 * `npm run analytics:rebuild`: rebuilds every rollup, percentile sample and fact of the
 * analytics subgraph from its record of every event it consumed (the `event` table), in the
 * order they happened. Safe to run while the consumer runs on real PostgreSQL (events that
 * arrive meanwhile are folded either way); stop the subgraph first on the embedded database.
 * Reads DATABASE_URL (and DB_SCHEMA_PREFIX).
 */
import { createOrm, kitFeatures } from '@switchboard/kit';
import { migrations } from './migrations';
import { rebuildRollups } from './modules/metrics/ingest';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set (with the embedded database, start with PGLITE_PORT=<port> and use postgres://postgres@127.0.0.1:<port>/postgres)');
  const orm = await createOrm({ subgraph: 'analytics', databaseUrl: url, schemaPrefix: process.env.DB_SCHEMA_PREFIX ?? '', entities: [], migrations, features: kitFeatures });
  try {
    const started = Date.now();
    const { events } = await rebuildRollups(orm);
    process.stdout.write(`rebuilt the analytics rollups from ${events} event(s) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  } finally {
    await orm.close();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
