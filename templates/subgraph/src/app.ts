import { startSubgraph, type RunningSubgraph, type SubgraphDeps } from '@switchboard/kit';
import type { SampleContext } from './context';
import type { SampleConfig } from './env';
import { createLoaders } from './loaders';
import { migrations } from './migrations';
import { SampleItem } from './modules/items/item.entity';
import { sampleSchema } from './schema';

export const entities = [SampleItem];
export { migrations };

export type SampleApp = RunningSubgraph;

/** The sample subgraph: database (migrated), schema, HTTP server. What main and tests both use. */
export async function bootstrap(config: SampleConfig & { DATABASE_URL: string }, deps: SubgraphDeps = {}): Promise<SampleApp> {
  return startSubgraph<SampleContext>({
    name: 'sample',
    config,
    port: config.SAMPLE_PORT,
    deps,
    entities,
    migrations,
    schema: sampleSchema,
    context: (identity, em) => ({ identity, em, config, loaders: createLoaders(em, identity) }),
  });
}

export { sampleEnv, readSampleConfig, type SampleConfig } from './env';
export { sampleSchema } from './schema';
export { seedDemoItems } from './seed';
