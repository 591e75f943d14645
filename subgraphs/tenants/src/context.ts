import type { EntityCache, EntityManager, Identity } from '@switchboard/kit';
import type { TenantsConfig } from './env';
import type { TenantsLoaders } from './loaders';

export interface TenantsContext {
  identity: Identity;
  em: EntityManager;
  config: TenantsConfig;
  loaders: TenantsLoaders;
  cache: EntityCache;
  /** Tells every gateway that a user's or key's access changed (they drop cached answers). */
  principalChanged(change: { userId?: string; apiKeyId?: string; tenantId?: string }): Promise<void>;
}
