import { defineSubgraph } from '@switchboard/kit';
import { bootstrap } from './app';
import { conversationsEnv } from './env';
import { conversationsSchema } from './schema';
import { seedDemoConversations } from './seed';

/** The conversations subgraph, as the registry knows it (see packages/kit/src/registry.ts). */
export const subgraph = defineSubgraph({
  name: 'conversations',
  description: 'conversations and messages on every channel, handoff, assignment, escalation',
  port: 4002,
  env: conversationsEnv,
  schema: conversationsSchema,
  bootstrap: (config, deps) => bootstrap(config, deps),
  // Its demo conversations hang on the demo users (it learns users from tenants' events),
  // and some escalate to tickets by event: tickets must be running, and seeded, first.
  dependsOn: ['tenants', 'tickets'],
  async seed(app, { directory }) {
    if (!directory) return { seeded: false };
    return seedDemoConversations(app, directory);
  },
  deploy: { needs: ['postgres', 'redis', 'mongo'] },
});
