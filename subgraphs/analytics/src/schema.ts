import { buildFederatedSchema, PageInfo, type SubgraphSchema } from '@switchboard/kit';
import { AnalyticsItemResolver, analyticsItemReference } from './modules/items/item.resolver';

let built: Promise<SubgraphSchema> | undefined;

/** The analytics subgraph schema (built once per process: type-graphql's metadata is global). */
export function analyticsSchema(): Promise<SubgraphSchema> {
  built ??= buildFederatedSchema({
    resolvers: [AnalyticsItemResolver],
    orphanedTypes: [PageInfo],
    references: { ...analyticsItemReference },
  });
  return built;
}
