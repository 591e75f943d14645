import { startSubgraph, type RunningSubgraph, type SubgraphDeps } from '@switchboard/kit';
import type { KnowledgeContext } from './context';
import type { KnowledgeConfig } from './env';
import { createLoaders } from './loaders';
import { migrations } from './migrations';
import { KnowledgeItem } from './modules/items/item.entity';
import { knowledgeSchema } from './schema';

export const entities = [KnowledgeItem];
export { migrations };

export type KnowledgeApp = RunningSubgraph;

/** The knowledge subgraph: database (migrated), schema, HTTP server. What main and tests both use. */
export async function bootstrap(config: KnowledgeConfig & { DATABASE_URL: string }, deps: SubgraphDeps = {}): Promise<KnowledgeApp> {
  return startSubgraph<KnowledgeContext>({
    name: 'knowledge',
    config,
    port: config.KNOWLEDGE_PORT,
    deps,
    entities,
    migrations,
    schema: knowledgeSchema,
    context: (identity, em) => ({ identity, em, config, loaders: createLoaders(em, identity) }),
  });
}

export { knowledgeEnv, readKnowledgeConfig, type KnowledgeConfig } from './env';
export { knowledgeSchema } from './schema';
export { seedDemoItems } from './seed';
