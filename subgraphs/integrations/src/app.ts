import { startSubgraph, type RunningSubgraph, type SubgraphDeps } from '@switchboard/kit';
import type { IntegrationsContext } from './context';
import type { IntegrationsConfig } from './env';
import { createLoaders } from './loaders';
import { migrations } from './migrations';
import { IntegrationsItem } from './modules/items/item.entity';
import { integrationsSchema } from './schema';

export const entities = [IntegrationsItem];
export { migrations };

export type IntegrationsApp = RunningSubgraph;

/** The integrations subgraph: database (migrated), schema, HTTP server. What main and tests both use. */
export async function bootstrap(config: IntegrationsConfig & { DATABASE_URL: string }, deps: SubgraphDeps = {}): Promise<IntegrationsApp> {
  return startSubgraph<IntegrationsContext>({
    name: 'integrations',
    config,
    port: config.INTEGRATIONS_PORT,
    deps,
    entities,
    migrations,
    schema: integrationsSchema,
    context: (identity, em) => ({ identity, em, config, loaders: createLoaders(em, identity) }),
  });
}

export { integrationsEnv, readIntegrationsConfig, type IntegrationsConfig } from './env';
export { integrationsSchema } from './schema';
export { seedDemoItems } from './seed';
