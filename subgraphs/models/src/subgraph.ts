import { defineSubgraph } from '@switchboard/kit';
import { bootstrap } from './app';
import { PORT, modelsEnv } from './env';
import { modelsSchema } from './schema';
import { seedDemoItems } from './seed';

/**
 * The models subgraph, as the registry knows it (packages/kit/src/registry.ts): composition,
 * `npm start`, the test stack, the benchmarks and the deployment files all read it from here.
 */
export const subgraph = defineSubgraph({
  name: 'models',
  description: 'the models subgraph',
  port: PORT,
  env: modelsEnv,
  schema: modelsSchema,
  bootstrap: (config, deps) => bootstrap(config, deps),
  // Its demo items belong to the demo tenants, which tenants seeds first.
  dependsOn: ['tenants'],
  seed: (app, { directory }) => seedDemoItems(app.orm, directory),
  deploy: { needs: ['postgres', 'redis'], secrets: ['PROVIDER_KEY_ENCRYPTION_KEY'], internet: true },
});
