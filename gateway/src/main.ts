import { createLogger, loadConfig, onShutdown } from '@switchboard/kit';
import { bootstrap } from './app';
import { gatewayEnv } from './env';

async function main() {
  const config = loadConfig(gatewayEnv);
  const logger = createLogger({ service: 'gateway' }, config.LOG_LEVEL);
  const app = await bootstrap(config, logger);
  onShutdown(() => app.close(), logger);
}

void main();
