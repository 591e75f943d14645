import { defineSubgraph } from '@switchboard/kit';
import { bootstrap } from './app';
import { PORT, knowledgeEnv } from './env';
import { knowledgeSchema } from './schema';
import { seedDemoItems } from './seed';

/**
 * The knowledge subgraph, as the registry knows it (packages/kit/src/registry.ts): composition,
 * `npm start`, the test stack, the benchmarks and the deployment files all read it from here.
 */
export const subgraph = defineSubgraph({
  name: 'knowledge',
  description: 'the knowledge subgraph',
  port: PORT,
  env: knowledgeEnv,
  schema: knowledgeSchema,
  bootstrap: (config, deps) => bootstrap(config, deps),
  // Its demo items belong to the demo tenants, which tenants seeds first.
  dependsOn: ['tenants'],
  seed: (app, { directory }) => seedDemoItems(app.orm, directory),
  deploy: { needs: ['postgres', 'redis'], calls: ['models'] },
});
