import { defineSubgraph } from '@switchboard/kit';
import { bootstrap } from './app';
import { ticketsEnv } from './env';
import { ticketsSchema } from './schema';
import { seedDemoTickets } from './seed';

/** The tickets subgraph, as the registry knows it (see packages/kit/src/registry.ts). */
export const subgraph = defineSubgraph({
  name: 'tickets',
  description: 'tickets, workflow, SLA policies and breach detection, skill-based assignment',
  port: 4003,
  env: ticketsEnv,
  schema: ticketsSchema,
  bootstrap: (config, deps) => bootstrap(config, deps),
  // Its demo tickets hang on the demo users; it learns users from tenants' events.
  dependsOn: ['tenants'],
  async seed(app, { directory }) {
    if (!directory) return { seeded: false };
    return seedDemoTickets(app.orm, directory);
  },
  // Tests and benchmarks drive the SLA check themselves.
  testEnv: { SLA_CHECK_INTERVAL_MS: '0' },
  deploy: { needs: ['postgres', 'redis'] },
});
