import type { EntityManager, Identity } from '@switchboard/kit';
import DataLoader from 'dataloader';
import { IntegrationsItem } from './modules/items/item.entity';

export interface IntegrationsLoaders {
  /** Items of the caller's tenant by id; null for ids that are not theirs. One query per request. */
  item: DataLoader<string, IntegrationsItem | null>;
}

/** Fresh per request: nothing request-scoped is shared between requests. */
export function createLoaders(em: EntityManager, identity: Identity): IntegrationsLoaders {
  const tenantId = identity.tenantId ?? '';
  return {
    item: new DataLoader(async (ids) => {
      const rows = tenantId ? await em.find(IntegrationsItem, { id: { $in: [...ids] }, tenantId }) : [];
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}
