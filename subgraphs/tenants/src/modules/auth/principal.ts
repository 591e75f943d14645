import type { EntityManager } from '@switchboard/kit';
import { ApiKey, type ApiKeyKind } from '../api-keys/api-key.entity';
import { hashSecret } from '../api-keys/api-keys.service';
import { TenantStatus } from '../tenants/tenant.entity';
import type { Role } from '../users/user.entity';

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
 * does it, so no notice) takes effect within PRINCIPAL_CACHE_SECONDS (for a caller who keeps
 * calling, at the gateway's background re-ask near the end of that time). Each question is
 * one statement: an indexed lookup joined to the tenant row.
 */
export async function resolvePrincipal(em: EntityManager, credential: { apiKey?: string; userId?: string; tenantId?: string }, now = new Date()): Promise<Principal | null> {
  if (credential.apiKey) return resolveApiKey(em, credential.apiKey, now);
  if (credential.userId && credential.tenantId) return resolveUser(em, credential.userId, credential.tenantId);
  return null;
}

/**
 * One statement per question (the row joined to its tenant, active only), on the connection
 * rather than through entities: the gateway asks this on the request path of every caller it
 * does not remember, so the two round trips and the hydration of two entities it used to cost
 * were paid by the caller's request (docs/architecture.md, "Performance").
 */
async function resolveUser(em: EntityManager, userId: string, tenantId: string): Promise<Principal | null> {
  const s = em.config.get('schema');
  const [row] = (await em.getConnection().execute(
    `select u."role", t."requests_per_minute" from "${s}"."user" u join "${s}"."tenant" t on t."id" = u."tenant_id"
     where u."id" = ? and u."tenant_id" = ? and t."status" = ?`,
    [userId, tenantId, TenantStatus.ACTIVE],
    'all',
  )) as { role: Role; requests_per_minute: number }[];
  if (!row) return null;
  return { kind: 'user', tenantId, userId, roles: [row.role], scopes: [], requestsPerMinute: row.requests_per_minute };
}

async function resolveApiKey(em: EntityManager, secret: string, now: Date): Promise<Principal | null> {
  if (!secret.startsWith('sb_') || secret.length > 200) return null;
  const s = em.config.get('schema');
  const [key] = (await em.getConnection().execute(
    `select k."id", k."tenant_id", k."kind", k."scopes", k."expires_at", k."last_used_at", t."requests_per_minute"
     from "${s}"."api_key" k join "${s}"."tenant" t on t."id" = k."tenant_id"
     where k."secret_hash" = ? and k."revoked_at" is null and (k."expires_at" is null or k."expires_at" > ?) and t."status" = ?`,
    [hashSecret(secret), now.toISOString(), TenantStatus.ACTIVE],
    'all',
  )) as { id: string; tenant_id: string; kind: ApiKeyKind; scopes: string[]; expires_at: Date | string | null; last_used_at: Date | string | null; requests_per_minute: number }[];
  if (!key) return null;
  const expiresAt = key.expires_at == null ? null : new Date(key.expires_at);
  const lastUsedAt = key.last_used_at == null ? null : new Date(key.last_used_at);
  // Bookkeeping, not a change anyone made: a plain update, once a minute at most, unaudited.
  if (!lastUsedAt || now.getTime() - lastUsedAt.getTime() > 60_000) {
    await em.nativeUpdate(ApiKey, { id: key.id }, { lastUsedAt: now }, { filters: false });
  }
  return {
    kind: 'apiKey',
    tenantId: key.tenant_id,
    apiKeyId: key.id,
    apiKeyKind: key.kind,
    roles: [],
    scopes: key.scopes,
    requestsPerMinute: key.requests_per_minute,
    validUntil: expiresAt?.toISOString() ?? null,
  };
}
