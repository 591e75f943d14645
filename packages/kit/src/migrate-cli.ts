/**
 * `npm run migrate`: runs every subgraph's migrations (in start order) and exits; the
 * Kubernetes migration Job (`deploy/k8s/base/migrate-job.yaml`) runs it before new pods
 * serve. A subgraph migrates when it starts (each migration in a transaction; applied ones
 * are skipped), so this starts each one on a loopback port with nothing seeded and stops it
 * again. Reads the same environment as the services (DATABASE_URL, the secrets, MONGO_URL);
 * exits non-zero, naming the subgraph, when one fails.
 */
import { loadConfig } from './config';
import type { EventBus } from './event-bus';
import { createLogger } from './logger';
import { loadRegistry } from './registry';

/**
 * The services' own bus would let the short-lived copies consume events (leaving them pending
 * under a consumer that is gone) or relay outbox rows; this one does neither: consuming is a
 * no-op and publishing fails, so the relay's transaction rolls back and the rows stay for the
 * real services.
 */
const inertBus: EventBus = {
  publish: async () => {
    throw new Error('the migration job publishes no events');
  },
  consume: () => async () => {},
  close: async () => {},
};

async function main(): Promise<void> {
  const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const logger = createLogger({ service: 'migrate' }, 'info');
  for (const definition of loadRegistry()) {
    if (only.length && !only.includes(definition.name)) continue;
    // Its own port variable set to 0 and loopback: nothing can reach it while it migrates.
    process.env[definition.portVariable] = '0';
    process.env.HOST = '127.0.0.1';
    const config = loadConfig(definition.env) as Record<string, unknown> & { DATABASE_URL?: string };
    if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required to migrate');
    const started = Date.now();
    const app = await definition.bootstrap({ ...config, SEED_DEMO: false, DATABASE_URL: config.DATABASE_URL } as never, { logger: logger.child({ subgraph: definition.name }), bus: inertBus });
    await app.close();
    logger.info('migrated', { subgraph: definition.name, ms: Date.now() - started });
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error) => {
      process.stderr.write(`migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
