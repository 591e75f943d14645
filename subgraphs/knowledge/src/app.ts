import { startSubgraph, type RunningSubgraph, type SubgraphDeps } from '@switchboard/kit';
import type { KnowledgeContext } from './context';
import type { KnowledgeConfig } from './env';
import { createLoaders } from './loaders';
import { migrations } from './migrations';
import { Article, ArticleRating, ArticleVersion } from './modules/articles/article.entity';
import { consumeArticleChanges } from './modules/search/embeddings.consumer';
import { localEmbedder, type Embedder } from './modules/search/embedder';
import { knowledgeSchema } from './schema';

export const entities = [Article, ArticleVersion, ArticleRating];
export { migrations };

export type KnowledgeApp = RunningSubgraph;

export interface KnowledgeDeps extends SubgraphDeps {
  /** How chunks and questions are embedded (default: the kit's LOCAL embedding, in process). */
  embedder?: Embedder;
}

/** The knowledge subgraph: database (migrated), schema, the embedding consumer, HTTP server. What main and tests both use. */
export async function bootstrap(config: KnowledgeConfig & { DATABASE_URL: string }, deps: KnowledgeDeps = {}): Promise<KnowledgeApp> {
  const embedder = deps.embedder ?? localEmbedder;
  return startSubgraph<KnowledgeContext>({
    name: 'knowledge',
    config,
    port: config.KNOWLEDGE_PORT,
    deps,
    entities,
    migrations,
    schema: knowledgeSchema,
    background: ({ orm, events }) => [consumeArticleChanges(orm, events, embedder)],
    context: (identity, em) => ({ identity, em, config, embedder, loaders: createLoaders(em, identity) }),
  });
}

export { knowledgeEnv, readKnowledgeConfig, type KnowledgeConfig } from './env';
export { knowledgeSchema } from './schema';
export { seedDemoArticles } from './seed';
export { search, SearchMode, RRF_K, type SearchHit, type SearchArgs } from './modules/search/search.service';
export { localEmbedder, type Embedder } from './modules/search/embedder';
export { embedArticle, EMBEDDINGS_GROUP } from './modules/search/embeddings.consumer';
export { chunkArticle } from './modules/search/chunking';
