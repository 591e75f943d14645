import type { EntityManager, Identity } from '@switchboard/kit';
import type { AnalyticsConfig } from './env';
import type { AnalyticsLoaders } from './loaders';

/** What every resolver of the analytics subgraph gets, fresh per request. */
export interface AnalyticsContext {
  identity: Identity;
  /** Bound to the caller's tenant: every query is filtered by it. */
  em: EntityManager;
  config: AnalyticsConfig;
  loaders: AnalyticsLoaders;
}
