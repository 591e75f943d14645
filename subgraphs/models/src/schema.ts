import { buildFederatedSchema, PageInfo, type SubgraphSchema } from '@switchboard/kit';
import { ModelsItemResolver, modelsItemReference } from './modules/items/item.resolver';

let built: Promise<SubgraphSchema> | undefined;

/** The models subgraph schema (built once per process: type-graphql's metadata is global). */
export function modelsSchema(): Promise<SubgraphSchema> {
  built ??= buildFederatedSchema({
    resolvers: [ModelsItemResolver],
    orphanedTypes: [PageInfo],
    references: { ...modelsItemReference },
  });
  return built;
}
