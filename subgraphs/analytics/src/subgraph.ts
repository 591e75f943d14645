import { defineSubgraph } from '@switchboard/kit';
import { bootstrap } from './app';
import { PORT, analyticsEnv } from './env';
import { analyticsSchema } from './schema';
import { seedDemoItems } from './seed';

/**
 * The analytics subgraph, as the registry knows it (packages/kit/src/registry.ts): composition,
 * `npm start`, the test stack, the benchmarks and the deployment files all read it from here.
 */
export const subgraph = defineSubgraph({
  name: 'analytics',
  description: 'the analytics subgraph',
  port: PORT,
  env: analyticsEnv,
  schema: analyticsSchema,
  bootstrap: (config, deps) => bootstrap(config, deps),
  // Its demo items belong to the demo tenants, which tenants seeds first.
  dependsOn: ['tenants'],
  seed: (app, { directory }) => seedDemoItems(app.orm, directory),
  deploy: { needs: ['postgres', 'redis'] },
});
