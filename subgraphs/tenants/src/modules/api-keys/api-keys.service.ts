import { ADMIN_ROLES, BadInputError, NotFoundError, authorize, pageSize } from '@switchboard/kit';
import { createHash, randomBytes } from 'node:crypto';
import type { TenantsContext } from '../../context';
import { isUuid, requireText } from '../users/inputs';
import { API_KEY_SCOPES, ApiKey, ApiKeyKind } from './api-key.entity';
import type { CreateApiKeyInput } from './inputs';

/** Keys are 32 random bytes: a fast hash is enough (a slow one is for guessable passwords). */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function newSecret(): { secret: string; prefix: string } {
  const prefix = `sb_${randomBytes(6).toString('base64url')}`;
  return { prefix, secret: `${prefix}_${randomBytes(32).toString('base64url')}` };
}

const MANAGE = { roles: ADMIN_ROLES };

/**
 * One page of keys, newest first: keyset over (createdAt, id) after the key `after` names,
 * so a page is one indexed range scan however many keys a tenant has. An `after` that is
 * not one of the caller's keys (another tenant's included) gives an empty page, as for
 * every id-cursored list (Ticket.comments, Conversation.tickets, …): nothing is revealed.
 */export async function listApiKeys(ctx: TenantsContext, args: { first?: number | null; after?: string | null } = {}): Promise<ApiKey[]> {
  const caller = authorize(ctx.identity, MANAGE);
  const limit = pageSize(args.first);
  let range = {};
  if (args.after !== undefined && args.after !== null) {
    const anchor = isUuid(args.after) ? await ctx.em.findOne(ApiKey, { id: args.after, tenantId: caller.tenantId }) : null;
    if (!anchor) return [];
    range = { $or: [{ createdAt: { $lt: anchor.createdAt } }, { createdAt: anchor.createdAt, id: { $lt: anchor.id } }] };
  }
  return ctx.em.find(ApiKey, { $and: [{ tenantId: caller.tenantId }, range] }, { orderBy: { createdAt: 'desc', id: 'desc' }, limit });
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
  // Before answering: the key must already fail on the next request, at every gateway.
  await ctx.principalChanged({ apiKeyId: apiKey.id });
  return apiKey;
}
