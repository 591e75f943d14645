import type { EntityManager, Identity } from '@switchboard/kit';
import type { TenantsConfig } from './env';

export interface TenantsContext {
  identity: Identity;
  em: EntityManager;
  config: TenantsConfig;
}
