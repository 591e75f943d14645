import type { EntityManager, Identity } from '@switchboard/kit';
import type { SampleConfig } from './env';
import type { SampleLoaders } from './loaders';

/** What every resolver of the sample subgraph gets, fresh per request. */
export interface SampleContext {
  identity: Identity;
  /** Bound to the caller's tenant: every query is filtered by it. */
  em: EntityManager;
  config: SampleConfig;
  loaders: SampleLoaders;
}
