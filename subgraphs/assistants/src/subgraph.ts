import { defineSubgraph } from '@switchboard/kit';
import { bootstrap } from './app';
import { PORT, assistantsEnv } from './env';
import { assistantsSchema } from './schema';
import { seedDemoAssistants } from './seed';

/**
 * The assistants subgraph, as the registry knows it (packages/kit/src/registry.ts): composition,
 * `npm start`, the test stack, the benchmarks and the deployment files all read it from here.
 */
export const subgraph = defineSubgraph({
  name: 'assistants',
  description: 'the AI assistants: answers from the knowledge with citations, handoff, suggestions for agents, rollouts, ticket triage',
  port: PORT,
  env: assistantsEnv,
  schema: assistantsSchema,
  bootstrap: (config, deps) => bootstrap(config, deps),
  // It reads and writes through these subgraphs' APIs; they start first (and their <NAME>_URL reach it).
  dependsOn: ['tenants', 'conversations', 'tickets', 'knowledge', 'models'],
  seed: (app, { directory }) => seedDemoAssistants(app.orm, directory),
  deploy: {
    needs: ['postgres', 'redis'],
    calls: ['conversations', 'tickets', 'knowledge', 'models'],
    env: { CONVERSATIONS_URL: 'http://conversations:4002/graphql', TICKETS_URL: 'http://tickets:4003/graphql', KNOWLEDGE_URL: 'http://knowledge:4004/graphql', MODELS_URL: 'http://models:4005/graphql' },
  },
});
