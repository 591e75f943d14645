import { defineSubgraph } from '@switchboard/kit';
import { bootstrap } from './app';
import { PORT, knowledgeEnv } from './env';
import { knowledgeSchema } from './schema';
import { seedDemoArticles } from './seed';

/**
 * The knowledge subgraph, as the registry knows it (packages/kit/src/registry.ts): composition,
 * `npm start`, the test stack, the benchmarks and the deployment files all read it from here.
 */
export const subgraph = defineSubgraph({
  name: 'knowledge',
  description: 'help-center articles with every version, and keyword, semantic and hybrid search',
  port: PORT,
  env: knowledgeEnv,
  schema: knowledgeSchema,
  bootstrap: (config, deps) => bootstrap(config, deps),
  // Its demo help centers belong to the demo tenants, which tenants seeds first.
  dependsOn: ['tenants'],
  seed: (app, { directory }) => seedDemoArticles(app.orm, directory),
  deploy: { needs: ['postgres', 'redis'] },
});
