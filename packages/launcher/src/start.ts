/**
 * `npm start`: the whole platform on this machine. Without DATABASE_URL it starts an
 * embedded PostgreSQL (PGlite) whose data stays in .data/pglite between runs; it starts
 * every subgraph of the registry (each subgraph's src/subgraph.ts) in start order, in this
 * one process (each on its own port, speaking real HTTP), seeds the demo data once, starts
 * the gateway, and on Ctrl-C stops them all in reverse order.
 */
import { bootstrap as startGateway, gatewayEnv } from '@switchboard/gateway';
import {
  busFor,
  commonEnv,
  createLogger,
  createRedis,
  isAddressInUse,
  loadConfig,
  loadRegistry,
  portInUseMessage,
  seedSubgraphs,
  startEmbeddedPostgres,
  type EmbeddedPostgres,
  type RegisteredSubgraph,
  type RunningSubgraph,
} from '@switchboard/kit';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

/**
 * The environment every service of `npm start` reads: the caller's, with what a laptop
 * run means by default.
 */
function launcherEnvironment(): Record<string, string | undefined> {
  // `npm start` is demo mode: the published development secrets are accepted (never with
  // NODE_ENV=production) and every service listens on 127.0.0.1 unless HOST says otherwise.
  return { ...process.env, DEMO: process.env.DEMO ?? 'true' };
}

class StartError extends Error {}

async function main() {
  const started = Date.now();
  const source = launcherEnvironment();
  const common = loadConfig(commonEnv, source);
  const logger = createLogger({ service: 'launcher' }, common.LOG_LEVEL);
  const quiet = createLogger({ service: 'switchboard' }, source.LOG_LEVEL ? common.LOG_LEVEL : 'warn');
  const registry = loadRegistry();

  let embedded: EmbeddedPostgres | undefined;
  let databaseUrl = common.DATABASE_URL;
  if (!databaseUrl) {
    const dataDir = source.PGLITE_DATA_DIR ?? path.join(ROOT, '.data/pglite');
    embedded = await startEmbeddedPostgres({ dataDir, port: Number(source.PGLITE_PORT ?? 0) });
    databaseUrl = embedded.url;
    logger.info('embedded PostgreSQL started', { dataDir, url: databaseUrl });
  }

  // One bus for every service in this process: Redis Streams with REDIS_URL, else in-process.
  const redis = common.REDIS_URL ? createRedis(common.REDIS_URL) : undefined;
  const bus = busFor(redis, common.EVENT_STREAM, logger);
  const running: { definition: RegisteredSubgraph; app: RunningSubgraph }[] = [];
  let gateway: Awaited<ReturnType<typeof startGateway>> | undefined;

  const stopAll = async () => {
    await gateway?.close().catch((e) => logger.error('gateway stop failed', { error: e }));
    for (const { definition, app } of [...running].reverse()) {
      await app.close().catch((e) => logger.error(`${definition.name} stop failed`, { error: e }));
    }
    await bus.close();
    redis?.disconnect();
    await embedded?.stop().catch((e) => logger.error('database stop failed', { error: e }));
  };

  const banner: string[] = [];
  let seeded = false;
  try {
    for (const definition of registry) {
      const config = loadConfig(definition.env, source);
      try {
        const app = await definition.bootstrap({ ...config, DATABASE_URL: databaseUrl }, { logger: quiet.child({ service: definition.name }), bus });
        running.push({ definition, app });
      } catch (error) {
        if (isAddressInUse(error)) throw new StartError(portInUseMessage(definition, definition.portVariable, String(config[definition.portVariable])));
        throw error;
      }
    }
    const seeds = await seedSubgraphs(running, logger);
    banner.push(...seeds.banner);
    seeded = seeds.seeded;

    const gatewayConfig = loadConfig(gatewayEnv, {
      ...source,
      // Where this process runs each subgraph, unless <NAME>_URL says otherwise.
      ...Object.fromEntries(running.map(({ definition, app }) => [definition.urlVariable, source[definition.urlVariable] ?? app.url])),
    });
    try {
      gateway = await startGateway(gatewayConfig, quiet.child({ service: 'gateway' }));
    } catch (error) {
      if (isAddressInUse(error)) throw new StartError(portInUseMessage({ name: 'gateway' }, 'GATEWAY_PORT', gatewayConfig.GATEWAY_PORT));
      throw error;
    }
  } catch (error) {
    await stopAll();
    throw error;
  }

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const publicUrl = `http://localhost:${gateway.port}/graphql`;
  process.stdout.write(
    [
      '',
      `Switchboard is up in ${seconds}s${seeded ? ' (demo data seeded)' : ''}.`,
      '',
      `  GraphQL API   ${publicUrl}`,
      `  subgraphs     ${running.map(({ definition, app }) => `${definition.name} :${app.port}`).join(', ')} (gateway only: requests need its signature)`,
      `  database      ${embedded ? `embedded PostgreSQL (PGlite), data in .data/pglite` : 'DATABASE_URL'}`,
      '',
      ...(banner.length ? [...banner.map((line) => line.replaceAll('{graphql}', publicUrl)), ''] : []),
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping…\n`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    await stopAll();
    process.stdout.write('stopped.\n');
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error) => {
  // A taken port or address is a configuration problem: its message says what to set.
  const known = error instanceof StartError || (error as { code?: string })?.code === 'EADDRINUSE' || (error as { code?: string })?.code === 'EADDRNOTAVAIL';
  process.stderr.write(`npm start failed: ${error instanceof Error ? (known ? error.message : (error.stack ?? error.message)) : String(error)}\n`);
  process.exit(1);
});
