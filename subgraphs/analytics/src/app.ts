import { startSubgraph, type RunningSubgraph, type SubgraphDeps } from '@switchboard/kit';
import type { AnalyticsContext } from './context';
import type { AnalyticsConfig } from './env';
import { migrations } from './migrations';
import { consumeDomainEvents } from './modules/metrics/ingest';
import { LiveTicker } from './modules/metrics/live';
import { analyticsSchema } from './schema';

export const entities: Function[] = [];
export { migrations };

export interface AnalyticsApp extends RunningSubgraph {
  live: LiveTicker;
}

/** The analytics subgraph: database (migrated), the rollups consumer, the live ticker, schema, HTTP server. */
export async function bootstrap(config: AnalyticsConfig & { DATABASE_URL: string }, deps: SubgraphDeps = {}): Promise<AnalyticsApp> {
  let live: LiveTicker | undefined;
  const app = await startSubgraph<AnalyticsContext>({
    name: 'analytics',
    config,
    port: config.ANALYTICS_PORT,
    deps,
    entities,
    migrations,
    schema: analyticsSchema,
    background: ({ orm, events, redis }) => {
      live = new LiveTicker(orm, redis, config.ANALYTICS_LIVE_INTERVAL_MS);
      const ticker = live;
      return [consumeDomainEvents(orm, events, (tenantId) => ticker.mark(tenantId)), ticker.start()];
    },
    context: (identity, em, { orm }) => ({ identity, em, config, schema: orm.config.get('schema') as string, live: () => live! }),
  });
  return Object.assign(app, { live: live! });
}

export { analyticsEnv, readAnalyticsConfig, type AnalyticsConfig } from './env';
export { analyticsSchema } from './schema';
export { applyEvent, applyEvents, rebuildRollups, ROLLUPS_GROUP } from './modules/metrics/ingest';
export { digestOf, mergeDigests, quantile } from './modules/metrics/tdigest';
