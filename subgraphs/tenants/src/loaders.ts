import { reviveDates, type CachedType, type EntityCache, type EntityManager, type Identity } from '@switchboard/kit';
import type DataLoader from 'dataloader';
import { User } from './modules/users/user.entity';

export const CACHED_USER: CachedType<User> = {
  type: 'User',
  toCache: (u) => ({ id: u.id, tenantId: u.tenantId, email: u.email, name: u.name, role: u.role, skills: u.skills, createdAt: u.createdAt }),
  fromCache: (json) => reviveDates<User>(json, ['createdAt']),
};

export interface TenantsLoaders {
  /** Users of the caller's tenant by id; null for ids that are not theirs. */
  user: DataLoader<string, User | null>;
}

/** Fresh per request: nothing request-scoped is shared between requests. */
export function createLoaders(cache: EntityCache, em: EntityManager, identity: Identity): TenantsLoaders {
  const tenantId = identity.tenantId ?? '';
  return {
    user: cache.loader(CACHED_USER, tenantId, async (ids) => {
      const rows = tenantId ? await em.find(User, { id: { $in: [...ids] }, tenantId }) : [];
      return new Map(rows.map((u) => [u.id, u]));
    }),
  };
}
