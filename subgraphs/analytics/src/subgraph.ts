import { defineSubgraph } from '@switchboard/kit';
import { bootstrap } from './app';
import { PORT, analyticsEnv } from './env';
import { analyticsSchema } from './schema';

/**
 * The analytics subgraph, as the registry knows it (packages/kit/src/registry.ts): composition,
 * `npm start`, the test stack, the benchmarks and the deployment files all read it from here.
 */
export const subgraph = defineSubgraph({
  name: 'analytics',
  description: 'metrics over time from the domain events, and live metrics',
  port: PORT,
  env: analyticsEnv,
  schema: analyticsSchema,
  bootstrap: (config, deps) => bootstrap(config, deps),
  // It only reads events: its consumer group hears every event from its start on.
  dependsOn: ['tenants'],
  // Tests drive liveMetrics ticks themselves (`app.live.tick()`), so they count exactly.
  testEnv: { ANALYTICS_LIVE_INTERVAL_MS: '3600000' },
  deploy: { needs: ['postgres', 'redis'] },
});
