import { startSubgraph, type RunningSubgraph, type SubgraphDeps } from '@switchboard/kit';
import type { ModelsContext } from './context';
import type { ModelsConfig } from './env';
import { createLoaders } from './loaders';
import { migrations } from './migrations';
import { ModelsItem } from './modules/items/item.entity';
import { modelsSchema } from './schema';

export const entities = [ModelsItem];
export { migrations };

export type ModelsApp = RunningSubgraph;

/** The models subgraph: database (migrated), schema, HTTP server. What main and tests both use. */
export async function bootstrap(config: ModelsConfig & { DATABASE_URL: string }, deps: SubgraphDeps = {}): Promise<ModelsApp> {
  return startSubgraph<ModelsContext>({
    name: 'models',
    config,
    port: config.MODELS_PORT,
    deps,
    entities,
    migrations,
    schema: modelsSchema,
    context: (identity, em) => ({ identity, em, config, loaders: createLoaders(em, identity) }),
  });
}

export { modelsEnv, readModelsConfig, type ModelsConfig } from './env';
export { modelsSchema } from './schema';
export { seedDemoItems } from './seed';
