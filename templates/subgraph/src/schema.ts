import { buildFederatedSchema, PageInfo, type SubgraphSchema } from '@switchboard/kit';
import { SampleItemResolver, sampleItemReference } from './modules/items/item.resolver';

let built: Promise<SubgraphSchema> | undefined;

/** The sample subgraph schema (built once per process: type-graphql's metadata is global). */
export function sampleSchema(): Promise<SubgraphSchema> {
  built ??= buildFederatedSchema({
    resolvers: [SampleItemResolver],
    orphanedTypes: [PageInfo],
    references: { ...sampleItemReference },
  });
  return built;
}
