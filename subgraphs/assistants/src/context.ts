import type { EntityManager, Identity } from '@switchboard/kit';
import type { AssistantsConfig } from './env';
import type { AssistantsLoaders } from './loaders';

/** What every resolver of the assistants subgraph gets, fresh per request. */
export interface AssistantsContext {
  identity: Identity;
  /** Bound to the caller's tenant: every query is filtered by it. */
  em: EntityManager;
  config: AssistantsConfig;
  loaders: AssistantsLoaders;
}
