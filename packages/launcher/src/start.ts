/**
 * `npm start`: the whole platform on this machine. Without DATABASE_URL it starts an
 * embedded PostgreSQL (PGlite) whose data stays in .data/pglite between runs; it migrates,
 * seeds the demo tenants once, starts every subgraph and the gateway in this one process
 * (each on its own port, speaking real HTTP), and stops them all on Ctrl-C.
 */
import { bootstrap as startGateway, gatewayEnv } from '@switchboard/gateway';
import { busFor, createLogger, createRedis, loadConfig, startEmbeddedPostgres, type EmbeddedPostgres } from '@switchboard/kit';
import { bootstrap as startTenants, DEMO_PASSWORD, DEMO_TENANTS, demoDirectory, seedDemo, tenantsEnv } from '@switchboard/tenants';
import { bootstrap as startTickets, seedDemoTickets, ticketsEnv } from '@switchboard/tickets';
import { bootstrap as startConversations, conversationsEnv, seedDemoConversations } from '@switchboard/conversations';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

async function main() {
  const started = Date.now();
  // `npm start` is demo mode: the published development secrets are accepted (never with
  // NODE_ENV=production) and every service listens on 127.0.0.1 unless HOST says otherwise.
  process.env.DEMO ??= 'true';
  const tenantsConfig = loadConfig(tenantsEnv);
  const logger = createLogger({ service: 'launcher' }, tenantsConfig.LOG_LEVEL);
  const quiet = createLogger({ service: 'switchboard' }, process.env.LOG_LEVEL ? tenantsConfig.LOG_LEVEL : 'warn');

  let embedded: EmbeddedPostgres | undefined;
  let databaseUrl = tenantsConfig.DATABASE_URL;
  if (!databaseUrl) {
    const dataDir = process.env.PGLITE_DATA_DIR ?? path.join(ROOT, '.data/pglite');
    embedded = await startEmbeddedPostgres({ dataDir, port: Number(process.env.PGLITE_PORT ?? 0) });
    databaseUrl = embedded.url;
    logger.info('embedded PostgreSQL started', { dataDir, url: databaseUrl });
  }

  // One bus for every service in this process: Redis Streams with REDIS_URL, else in-process.
  const redis = tenantsConfig.REDIS_URL ? createRedis(tenantsConfig.REDIS_URL) : undefined;
  const bus = busFor(redis, tenantsConfig.EVENT_STREAM, logger);
  const tenants = await startTenants({ ...tenantsConfig, DATABASE_URL: databaseUrl }, { logger: quiet.child({ service: 'tenants' }), bus });
  const tickets = await startTickets({ ...loadConfig(ticketsEnv), DATABASE_URL: databaseUrl }, { logger: quiet.child({ service: 'tickets' }), bus });
  const conversations = await startConversations({ ...loadConfig(conversationsEnv), DATABASE_URL: databaseUrl }, { logger: quiet.child({ service: 'conversations' }), bus });
  const { seeded } = await seedDemo(tenants.orm, { scryptN: tenantsConfig.PASSWORD_SCRYPT_N });
  const directory = await demoDirectory(tenants.orm);
  await seedDemoTickets(tickets.orm, directory);
  await seedDemoConversations(conversations, directory);

  const gatewayConfig = loadConfig(gatewayEnv, {
    ...process.env,
    TENANTS_URL: process.env.TENANTS_URL ?? tenants.url,
    TICKETS_URL: process.env.TICKETS_URL ?? tickets.url,
    CONVERSATIONS_URL: process.env.CONVERSATIONS_URL ?? conversations.url,
  });
  const gateway = await startGateway(gatewayConfig, quiet.child({ service: 'gateway' }));

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const publicUrl = `http://localhost:${gateway.port}/graphql`;
  process.stdout.write(
    [
      '',
      `Switchboard is up in ${seconds}s${seeded ? ' (demo data seeded)' : ''}.`,
      '',
      `  GraphQL API   ${publicUrl}`,
      `  subgraphs     tenants :${tenants.port}, conversations :${conversations.port}, tickets :${tickets.port} (gateway only: requests need its signature)`,
      `  database      ${embedded ? `embedded PostgreSQL (PGlite), data in .data/pglite` : 'DATABASE_URL'}`,
      '',
      `Demo logins (demo mode only), password "${DEMO_PASSWORD}":`,
      ...DEMO_TENANTS.flatMap((t) => t.users.map((u) => `  ${u.email.padEnd(24)} ${u.role.padEnd(10)} ${t.slug}`)),
      '',
      'Try:',
      `  curl -s ${publicUrl} -H 'content-type: application/json' \\`,
      `    -d '{"query":"mutation { login(email: \\"admin@acme.test\\", password: \\"${DEMO_PASSWORD}\\") { token } }"}'`,
      '',
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
    await gateway.close().catch((e) => logger.error('gateway stop failed', { error: e }));
    await conversations.close().catch((e) => logger.error('conversations stop failed', { error: e }));
    await tickets.close().catch((e) => logger.error('tickets stop failed', { error: e }));
    await tenants.close().catch((e) => logger.error('tenants stop failed', { error: e }));
    await bus.close();
    redis?.disconnect();
    await embedded?.stop().catch((e) => logger.error('database stop failed', { error: e }));
    process.stdout.write('stopped.\n');
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error) => {
  // A taken port or address is a configuration problem: its message says what to set.
  const known = (error as { code?: string })?.code === 'EADDRINUSE' || (error as { code?: string })?.code === 'EADDRNOTAVAIL';
  process.stderr.write(`npm start failed: ${error instanceof Error ? (known ? error.message : (error.stack ?? error.message)) : String(error)}\n`);
  process.exit(1);
});
