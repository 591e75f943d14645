import { ADMIN_ROLES, BadInputError, NotFoundError, authorize } from '@switchboard/kit';
import { createHash, randomBytes } from 'node:crypto';
import type { TenantsContext } from '../../context';
import { isUuid, requireText } from '../users/inputs';
import { Tenant, TenantStatus } from '../tenants/tenant.entity';
import { API_KEY_SCOPES, ApiKey, ApiKeyKind } from './api-key.entity';
import type { CreateApiKeyInput } from './inputs';
import type { EntityManager } from '@switchboard/kit';

/** Keys are 32 random bytes: a fast hash is enough (a slow one is for guessable passwords). */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function newSecret(): { secret: string; prefix: string } {
  const prefix = `sb_${randomBytes(6).toString('base64url')}`;
  return { prefix, secret: `${prefix}_${randomBytes(32).toString('base64url')}` };
}

const MANAGE = { roles: ADMIN_ROLES };

export async function listApiKeys(ctx: TenantsContext): Promise<ApiKey[]> {
  const caller = authorize(ctx.identity, MANAGE);
  return ctx.em.find(ApiKey, { tenantId: caller.tenantId }, { orderBy: { createdAt: 'desc', id: 'desc' } });
}

export async function createApiKey(ctx: TenantsContext, input: CreateApiKeyInput): Promise<{ apiKey: ApiKey; secret: string }> {
  const caller = authorize(ctx.identity, MANAGE);
  const name = requireText(input.name, 'name', 100);
  const scopes = [...new Set(input.scopes)];
  const unknown = scopes.filter((s) => !(API_KEY_SCOPES as readonly string[]).includes(s));
  if (unknown.length) throw new BadInputError('scopes', `Unknown scopes: ${unknown.join(', ')}. Known: ${API_KEY_SCOPES.join(', ')}`);
  if (!scopes.length) throw new BadInputError('scopes', 'A key needs at least one scope');
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) throw new BadInputError('expiresAt', 'expiresAt must be in the future');
  const { secret, prefix } = newSecret();
  const apiKey = ctx.em.create(ApiKey, {
    tenantId: caller.tenantId,
    name,
    prefix,
    secretHash: hashSecret(secret),
    kind: input.kind ?? ApiKeyKind.FIRST_PARTY,
    scopes,
    createdBy: caller.userId ?? null,
    expiresAt: input.expiresAt ?? null,
  });
  await ctx.em.flush();
  return { apiKey, secret };
}

export async function revokeApiKey(ctx: TenantsContext, id: string): Promise<ApiKey> {
  const caller = authorize(ctx.identity, MANAGE);
  const apiKey = isUuid(id) ? await ctx.em.findOne(ApiKey, { id, tenantId: caller.tenantId }) : null;
  if (!apiKey) throw new NotFoundError('ApiKey', id);
  if (!apiKey.revokedAt) {
    apiKey.revokedAt = new Date();
    await ctx.em.flush();
  }
  return apiKey;
}

export interface VerifiedKey {
  tenantId: string;
  apiKeyId: string;
  kind: ApiKeyKind;
  scopes: string[];
}

/**
 * The gateway's question for every request with `x-api-key`: which tenant and scopes, if
 * the key is known, unrevoked, unexpired and its tenant active. No cache, so a revocation
 * takes effect on the next request.
 */
export async function verifyApiKey(em: EntityManager, secret: string, now = new Date()): Promise<VerifiedKey | null> {
  if (!secret.startsWith('sb_') || secret.length > 200) return null;
  const key = await em.findOne(ApiKey, { secretHash: hashSecret(secret) }, { filters: false });
  if (!key || key.revokedAt || (key.expiresAt && key.expiresAt <= now)) return null;
  const tenant = await em.findOne(Tenant, key.tenantId);
  if (!tenant || tenant.status !== TenantStatus.ACTIVE) return null;
  // Bookkeeping, not a change anyone made: a plain update, once a minute at most, unaudited.
  if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > 60_000) {
    await em.nativeUpdate(ApiKey, { id: key.id }, { lastUsedAt: now }, { filters: false });
  }
  return { tenantId: key.tenantId, apiKeyId: key.id, kind: key.kind, scopes: key.scopes };
}
