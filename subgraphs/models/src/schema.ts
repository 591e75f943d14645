import { buildFederatedSchema, type SubgraphSchema } from '@switchboard/kit';
import { ModelsResolver } from './modules/catalog/resolvers';

let built: Promise<SubgraphSchema> | undefined;

/** The models subgraph schema (built once per process: type-graphql's metadata is global). */
export function modelsSchema(): Promise<SubgraphSchema> {
  built ??= buildFederatedSchema({ resolvers: [ModelsResolver], references: {} });
  return built;
}
