import { startSubgraph, type RunningSubgraph, type SubgraphDeps } from '@switchboard/kit';
import type { AnalyticsContext } from './context';
import type { AnalyticsConfig } from './env';
import { createLoaders } from './loaders';
import { migrations } from './migrations';
import { AnalyticsItem } from './modules/items/item.entity';
import { analyticsSchema } from './schema';

export const entities = [AnalyticsItem];
export { migrations };

export type AnalyticsApp = RunningSubgraph;

/** The analytics subgraph: database (migrated), schema, HTTP server. What main and tests both use. */
export async function bootstrap(config: AnalyticsConfig & { DATABASE_URL: string }, deps: SubgraphDeps = {}): Promise<AnalyticsApp> {
  return startSubgraph<AnalyticsContext>({
    name: 'analytics',
    config,
    port: config.ANALYTICS_PORT,
    deps,
    entities,
    migrations,
    schema: analyticsSchema,
    context: (identity, em) => ({ identity, em, config, loaders: createLoaders(em, identity) }),
  });
}

export { analyticsEnv, readAnalyticsConfig, type AnalyticsConfig } from './env';
export { analyticsSchema } from './schema';
export { seedDemoItems } from './seed';
