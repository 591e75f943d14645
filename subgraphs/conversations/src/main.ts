import { createLogger, loadConfig, onShutdown } from '@switchboard/kit';
import { bootstrap } from './app';
import { conversationsEnv } from './env';

async function main() {
  const config = loadConfig(conversationsEnv);
  const logger = createLogger({ service: 'conversations' }, config.LOG_LEVEL);
  if (!config.DATABASE_URL) {
    logger.error('DATABASE_URL is required to run the conversations subgraph on its own (npm start runs everything with an embedded database)');
    process.exit(1);
  }
  const app = await bootstrap({ ...config, DATABASE_URL: config.DATABASE_URL }, { logger });
  onShutdown(() => app.close(), logger);
}

void main();
