import { loadConfig, createLogger, onShutdown } from '@switchboard/kit';
import { bootstrap, seedDemo } from './app';
import { tenantsEnv } from './env';

async function main() {
  const config = loadConfig(tenantsEnv);
  const logger = createLogger({ service: 'tenants' }, config.LOG_LEVEL);
  if (!config.DATABASE_URL) {
    logger.error('DATABASE_URL is required to run the tenants subgraph on its own (npm start runs everything with an embedded database)');
    process.exit(1);
  }
  const app = await bootstrap({ ...config, DATABASE_URL: config.DATABASE_URL }, logger);
  if (config.SEED_DEMO && (await seedDemo(app.orm)).seeded) logger.info('demo data seeded');
  onShutdown(() => app.close(), logger);
}

void main();
