import { createLogger, loadRegistry, parseConfig, type RunningSubgraph } from '@switchboard/kit';
import { TEST_SECRETS, testDatabase } from '@switchboard/kit/src/testing';

/**
 * Shutdown while Redis is down: every subgraph with event consumers (all of them run the
 * redrive loop; tickets and conversations consume the directory and escalations) starts
 * against a Redis nothing answers, and `close()` must resolve before a 3 s timer — it used
 * to wait for a blocking stream read that never returned, until the forced exit.
 */
const db = testDatabase();
afterAll(() => db.drop());

const UNREACHABLE_REDIS = 'redis://127.0.0.1:1';

it.each(['tickets', 'conversations'])('%s closes promptly while Redis is unreachable', async (name) => {
  const definition = loadRegistry().find((s) => s.name === name)!;
  const config = parseConfig(definition.env, { ...TEST_SECRETS, HOST: '127.0.0.1', DB_SCHEMA_PREFIX: db.schemaPrefix, REDIS_URL: UNREACHABLE_REDIS, ...definition.testEnv, [definition.portVariable]: '0' });
  const app: RunningSubgraph = await definition.bootstrap({ ...config, DATABASE_URL: db.url }, { logger: createLogger({ service: name }, 'silent') });
  await new Promise((r) => setTimeout(r, 300)); // its consumers are waiting on Redis by now
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([app.close().then(() => 'closed'), new Promise<string>((r) => (timer = setTimeout(() => r('still closing'), 3_000)))]);
  clearTimeout(timer);
  expect(outcome).toBe('closed');
}, 30_000);
