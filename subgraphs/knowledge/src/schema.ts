import { buildFederatedSchema, PageInfo, type SubgraphSchema } from '@switchboard/kit';
import { ArticleHitResolver, ArticleResolver, ArticleVersionResolver, articleReference } from './modules/articles/article.resolver';
import { userReference } from './modules/users/user.stub';

let built: Promise<SubgraphSchema> | undefined;

/** The knowledge subgraph schema (built once per process: type-graphql's metadata is global). */
export function knowledgeSchema(): Promise<SubgraphSchema> {
  built ??= buildFederatedSchema({
    resolvers: [ArticleResolver, ArticleVersionResolver, ArticleHitResolver],
    orphanedTypes: [PageInfo],
    references: { ...articleReference, ...userReference },
  });
  return built;
}
