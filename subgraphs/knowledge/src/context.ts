import type { EntityManager, Identity } from '@switchboard/kit';
import type { KnowledgeConfig } from './env';
import type { KnowledgeLoaders } from './loaders';
import type { Embedder } from './modules/search/embedder';

/** What every resolver of the knowledge subgraph gets, fresh per request. */
export interface KnowledgeContext {
  identity: Identity;
  /** Bound to the caller's tenant: every query is filtered by it. */
  em: EntityManager;
  config: KnowledgeConfig;
  loaders: KnowledgeLoaders;
  embedder: Embedder;
}
