import type { EntityCache, EntityManager, Identity } from '@switchboard/kit';
import type { TenantsConfig } from './env';
import type { TenantsLoaders } from './loaders';

export interface TenantsContext {
  identity: Identity;
  em: EntityManager;
  config: TenantsConfig;
  loaders: TenantsLoaders;
  cache: EntityCache;
}
