import type { EntityManager, Identity } from '@switchboard/kit';
import type { ModelsConfig } from './env';
import type { ModelsLoaders } from './loaders';

/** What every resolver of the models subgraph gets, fresh per request. */
export interface ModelsContext {
  identity: Identity;
  /** Bound to the caller's tenant: every query is filtered by it. */
  em: EntityManager;
  config: ModelsConfig;
  loaders: ModelsLoaders;
}
