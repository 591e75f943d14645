import { defineSubgraph } from '@switchboard/kit';
import { bootstrap } from './app';
import { PORT, integrationsEnv } from './env';
import { integrationsSchema } from './schema';

/**
 * The integrations subgraph, as the registry knows it (packages/kit/src/registry.ts): composition,
 * `npm start`, the test stack, the benchmarks and the deployment files all read it from here.
 */
export const subgraph = defineSubgraph({
  name: 'integrations',
  description: 'signed, retried outbound webhooks with a delivery log; inbound WhatsApp and Slack channels',
  port: PORT,
  env: integrationsEnv,
  schema: integrationsSchema,
  bootstrap: (config, deps) => bootstrap(config, deps),
  dependsOn: ['tenants'],
  // Local receivers over http, fast retries and an early pause, so tests run in moments.
  testEnv: {
    WEBHOOK_ALLOW_HTTP: 'true',
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    WEBHOOK_RETRY_BASE_MS: '20',
    WEBHOOK_PAUSE_AFTER_FAILURES: '5',
    WEBHOOK_TIMEOUT_MS: '2000',
    WEBHOOK_POLL_MS: '20',
  },
  // Inbound channel messages are written to conversations; selections are resolved against tenants, tickets and conversations.
  deploy: { needs: ['postgres', 'redis'], internet: true, calls: ['conversations', 'tenants', 'tickets'], env: { CONVERSATIONS_URL: 'http://conversations:4002/graphql', TENANTS_URL: 'http://tenants:4001/graphql', TICKETS_URL: 'http://tickets:4003/graphql' } },
});
