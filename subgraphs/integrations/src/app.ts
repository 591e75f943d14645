import path from 'node:path';
import { startSubgraph, type RunningSubgraph, type SubgraphDeps } from '@switchboard/kit';
import type { IntegrationsContext } from './context';
import type { IntegrationsConfig } from './env';
import { createLoaders } from './loaders';
import { migrations } from './migrations';
import { ChannelConnector, ChannelThread } from './modules/channels/connector.entity';
import { ConversationsClient } from './modules/channels/conversations-client';
import { inboundRoutes } from './modules/channels/inbound';
import { consumeChannelReplies } from './modules/channels/outbound';
import { CrmConnector, CrmContactLink } from './modules/crm/crm.entity';
import { consumeContactChanges, startCrmSync, type CrmSync } from './modules/crm/sync';
import { consumeWebhookEvents } from './modules/webhooks/consumer';
import { WebhookDelivery } from './modules/webhooks/delivery.entity';
import { startDispatcher, type Dispatcher } from './modules/webhooks/dispatcher';
import { WebhookEndpoint } from './modules/webhooks/endpoint.entity';
import { SelectionResolver } from './modules/webhooks/selection';
import { SecretBox } from './modules/webhooks/signing';
import { systemResolver, type Resolver, type UrlPolicy } from './modules/webhooks/url-guard';
import { integrationsSchema } from './schema';

export const entities = [WebhookEndpoint, WebhookDelivery, ChannelConnector, ChannelThread, CrmConnector, CrmContactLink];
export { migrations };

export type IntegrationsApp = RunningSubgraph & { dispatcher: Dispatcher };

export interface IntegrationsDeps extends SubgraphDeps {
  /** Injectable clock: retries are scheduled and signatures stamped with it. */
  clock?: () => Date;
  /** Name resolution for webhook URLs (tests: a hosts map). */
  resolve?: Resolver;
  /** Jitter source, 0..1 (tests pin it). */
  random?: () => number;
}

/** The integrations subgraph: database (migrated), schema, the webhook consumer and dispatcher, inbound channel routes and replies, HTTP server. */
export async function bootstrap(config: IntegrationsConfig & { DATABASE_URL: string }, deps: IntegrationsDeps = {}): Promise<IntegrationsApp> {
  const clock = deps.clock ?? (() => new Date());
  const urls: UrlPolicy = { allowHttp: config.WEBHOOK_ALLOW_HTTP, allowPrivate: config.WEBHOOK_ALLOW_PRIVATE_URLS, resolve: deps.resolve ?? systemResolver };
  const secrets = new SecretBox(config.WEBHOOK_ENCRYPTION_KEY, config.INTERNAL_SECRET);
  const conversations = new ConversationsClient(() => config.CONVERSATIONS_URL, config.INTERNAL_SECRET, config.WEBHOOK_TIMEOUT_MS);
  const apis = { whatsAppBaseUrl: config.WHATSAPP_API_BASE_URL.replace(/\/$/, ''), slackBaseUrl: config.SLACK_API_BASE_URL.replace(/\/$/, ''), timeoutMs: config.WEBHOOK_TIMEOUT_MS };
  const selections = new SelectionResolver(
    path.isAbsolute(config.SUPERGRAPH_PATH) ? config.SUPERGRAPH_PATH : path.resolve(__dirname, '../../..', config.SUPERGRAPH_PATH),
    { tenants: config.TENANTS_URL, tickets: config.TICKETS_URL, conversations: config.CONVERSATIONS_URL },
    config.INTERNAL_SECRET,
    config.WEBHOOK_TIMEOUT_MS,
  );
  let dispatcher: Dispatcher | undefined;
  let crm: CrmSync | undefined;
  const wake = () => dispatcher?.wake();
  const app = await startSubgraph<IntegrationsContext>({
    name: 'integrations',
    config,
    port: config.INTEGRATIONS_PORT,
    deps,
    entities,
    migrations,
    schema: integrationsSchema,
    background: ({ orm, events, log, metrics }) => {
      dispatcher = startDispatcher({
        orm,
        clock,
        urls,
        secrets,
        selections,
        logger: log,
        metrics,
        random: deps.random,
        retryBaseMs: config.WEBHOOK_RETRY_BASE_MS,
        retryWindowMs: config.WEBHOOK_RETRY_WINDOW_SECONDS * 1000,
        pauseAfterFailures: config.WEBHOOK_PAUSE_AFTER_FAILURES,
        timeoutMs: config.WEBHOOK_TIMEOUT_MS,
        pollMs: config.WEBHOOK_POLL_MS,
      });
      const d = dispatcher;
      const sync = (crm = startCrmSync({
        orm,
        conversations,
        secrets,
        clock,
        logger: log,
        metrics,
        hubSpotBaseUrl: config.HUBSPOT_API_BASE_URL.replace(/\/$/, ''),
        timeoutMs: config.WEBHOOK_TIMEOUT_MS,
        intervalMs: config.CRM_SYNC_INTERVAL_MS,
      }));
      // The consumers stop first (nothing new is queued), then the dispatcher finishes its pass.
      return [
        consumeWebhookEvents(orm, events, clock, wake),
        consumeChannelReplies(orm, events, { secrets, conversations, apis, logger: log }),
        consumeContactChanges(events, sync),
        () => sync.stop(),
        () => d.stop(),
      ];
    },
    routes: (app, { orm, log }) => inboundRoutes(app, { orm, secrets, conversations, clock, logger: log }),
    context: (identity, em) => ({ identity, em, config, clock, urls, secrets, selections, wake, crm: () => crm!, loaders: createLoaders(em, identity) }),
  });
  return Object.assign(app, { dispatcher: dispatcher! });
}

export { integrationsEnv, readIntegrationsConfig, type IntegrationsConfig } from './env';
export { integrationsSchema } from './schema';
