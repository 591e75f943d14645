import { buildFederatedSchema, PageInfo, type SubgraphSchema } from '@switchboard/kit';
import { IntegrationsItemResolver, integrationsItemReference } from './modules/items/item.resolver';

let built: Promise<SubgraphSchema> | undefined;

/** The integrations subgraph schema (built once per process: type-graphql's metadata is global). */
export function integrationsSchema(): Promise<SubgraphSchema> {
  built ??= buildFederatedSchema({
    resolvers: [IntegrationsItemResolver],
    orphanedTypes: [PageInfo],
    references: { ...integrationsItemReference },
  });
  return built;
}
