import type { EntityManager, Identity } from '@switchboard/kit';
import DataLoader from 'dataloader';
import { WebhookEndpoint } from './modules/webhooks/endpoint.entity';

export interface IntegrationsLoaders {
  /** Endpoints of the caller's tenant by id; null for ids that are not theirs. One query per request. */
  endpoint: DataLoader<string, WebhookEndpoint | null>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Fresh per request: nothing request-scoped is shared between requests. */
export function createLoaders(em: EntityManager, identity: Identity): IntegrationsLoaders {
  const tenantId = identity.tenantId ?? '';
  return {
    endpoint: new DataLoader(async (ids) => {
      const valid = ids.filter((id) => UUID.test(id));
      const rows = tenantId && valid.length ? await em.find(WebhookEndpoint, { id: { $in: [...valid] }, tenantId }) : [];
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}
