import { buildFederatedSchema, PageInfo, type SubgraphSchema } from '@switchboard/kit';
import { ChannelConnectorResolver } from './modules/channels/channels.resolver';
import { CrmConnectorResolver } from './modules/crm/crm.resolver';
import { WebhookDeliveryResolver, WebhookEndpointResolver, webhookEndpointReference } from './modules/webhooks/webhooks.resolver';

let built: Promise<SubgraphSchema> | undefined;

/** The integrations subgraph schema (built once per process: type-graphql's metadata is global). */
export function integrationsSchema(): Promise<SubgraphSchema> {
  built ??= buildFederatedSchema({
    resolvers: [WebhookEndpointResolver, WebhookDeliveryResolver, ChannelConnectorResolver, CrmConnectorResolver],
    orphanedTypes: [PageInfo],
    references: { ...webhookEndpointReference },
  });
  return built;
}
