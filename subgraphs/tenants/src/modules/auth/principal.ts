import type { EntityManager } from '@switchboard/kit';
import { ApiKey, type ApiKeyKind } from '../api-keys/api-key.entity';
import { hashSecret } from '../api-keys/api-keys.service';
import { Tenant, TenantStatus } from '../tenants/tenant.entity';
import { User, type Role } from '../users/user.entity';

/**
 * Who a credential stands for right now, as the gateway forwards it to every subgraph, plus
 * the tenant plan's `requestsPerMinute`, which the gateway's rate limiter reads (it is not
 * part of the identity the gateway signs).
 */
export type Principal =
  | { kind: 'user'; tenantId: string; userId: string; roles: Role[]; scopes: string[]; requestsPerMinute: number }
  | {
      kind: 'apiKey';
      tenantId: string;
      apiKeyId: string;
      apiKeyKind: ApiKeyKind;
      roles: Role[];
      scopes: string[];
      requestsPerMinute: number;
      /** When the key expires (ISO), so a gateway that caches this answer never outlives it. */
      validUntil: string | null;
    };

/**
 * The gateway asks this for a credential it does not remember: its principal cache keeps an
 * answer for PRINCIPAL_CACHE_SECONDS and drops it on the notice this service publishes before
 * answering a role change or a key revocation, so those take effect on the next request, and
 * a key's expiry bounds its entry. A tenant suspended or re-planned in the database (no API
 * does it, so no notice) takes effect within PRINCIPAL_CACHE_SECONDS. Each question is one
 * indexed lookup plus the tenant row.
 */
export async function resolvePrincipal(em: EntityManager, credential: { apiKey?: string; userId?: string; tenantId?: string }, now = new Date()): Promise<Principal | null> {
  if (credential.apiKey) return resolveApiKey(em, credential.apiKey, now);
  if (credential.userId && credential.tenantId) return resolveUser(em, credential.userId, credential.tenantId);
  return null;
}

/** The tenant when it is active; null when it is missing or suspended. */
async function activeTenant(em: EntityManager, tenantId: string): Promise<Tenant | null> {
  const tenant = await em.findOne(Tenant, tenantId);
  return tenant?.status === TenantStatus.ACTIVE ? tenant : null;
}

async function resolveUser(em: EntityManager, userId: string, tenantId: string): Promise<Principal | null> {
  const user = await em.findOne(User, { id: userId, tenantId }, { filters: false });
  const tenant = user ? await activeTenant(em, tenantId) : null;
  if (!user || !tenant) return null;
  return { kind: 'user', tenantId, userId, roles: [user.role], scopes: [], requestsPerMinute: tenant.requestsPerMinute };
}

async function resolveApiKey(em: EntityManager, secret: string, now: Date): Promise<Principal | null> {
  if (!secret.startsWith('sb_') || secret.length > 200) return null;
  const key = await em.findOne(ApiKey, { secretHash: hashSecret(secret) }, { filters: false });
  if (!key || key.revokedAt || (key.expiresAt && key.expiresAt <= now)) return null;
  const tenant = await activeTenant(em, key.tenantId);
  if (!tenant) return null;
  // Bookkeeping, not a change anyone made: a plain update, once a minute at most, unaudited.
  if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > 60_000) {
    await em.nativeUpdate(ApiKey, { id: key.id }, { lastUsedAt: now }, { filters: false });
  }
  return {
    kind: 'apiKey',
    tenantId: key.tenantId,
    apiKeyId: key.id,
    apiKeyKind: key.kind,
    roles: [],
    scopes: key.scopes,
    requestsPerMinute: tenant.requestsPerMinute,
    validUntil: key.expiresAt?.toISOString() ?? null,
  };
}
