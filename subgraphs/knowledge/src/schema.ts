import { buildFederatedSchema, PageInfo, type SubgraphSchema } from '@switchboard/kit';
import { KnowledgeItemResolver, knowledgeItemReference } from './modules/items/item.resolver';

let built: Promise<SubgraphSchema> | undefined;

/** The knowledge subgraph schema (built once per process: type-graphql's metadata is global). */
export function knowledgeSchema(): Promise<SubgraphSchema> {
  built ??= buildFederatedSchema({
    resolvers: [KnowledgeItemResolver],
    orphanedTypes: [PageInfo],
    references: { ...knowledgeItemReference },
  });
  return built;
}
