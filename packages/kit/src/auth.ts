import { ForbiddenError, UnauthenticatedError } from './errors';
import type { Identity, Role } from './identity';

export type Caller = Identity & { tenantId: string };

/**
 * The caller, who must be signed in (a user or an API key) and belong to a tenant — or be
 * one of our own services acting for a tenant (`kind: 'service'` with a tenantId, signed
 * with the internal secret; the gateway never signs that kind for a client).
 */
export function requireTenant(identity: Identity | undefined): Caller {
  if (!identity || (identity.kind !== 'user' && identity.kind !== 'apiKey' && identity.kind !== 'service') || !identity.tenantId) {
    throw new UnauthenticatedError();
  }
  return identity as Caller;
}

/**
 * Role and scope check in one place: a user passes with one of `roles`; an API key passes
 * with `scope` (keys have scopes, not roles). Leave `scope` out for what only people may do.
 */
export function authorize(identity: Identity | undefined, rule: { roles: readonly Role[]; scope?: string }): Caller {
  const caller = requireTenant(identity);
  if (caller.kind === 'user' && caller.roles.some((r) => rule.roles.includes(r))) return caller;
  // Keys, and our own services acting for a tenant, pass by scope.
  if ((caller.kind === 'apiKey' || caller.kind === 'service') && rule.scope && caller.scopes.includes(rule.scope)) return caller;
  if (caller.kind === 'service') throw new ForbiddenError(rule.scope ? `This service call lacks the scope ${rule.scope}` : 'Only people may do this');
  if (caller.kind === 'apiKey') {
    throw new ForbiddenError(rule.scope ? `This API key lacks the scope ${rule.scope}` : 'API keys cannot do this; sign in as a user');
  }
  throw new ForbiddenError(`This requires one of the roles ${rule.roles.join(', ')}`);
}

export const ALL_ROLES: readonly Role[] = ['OWNER', 'ADMIN', 'SUPERVISOR', 'AGENT', 'ANALYST'];
export const ADMIN_ROLES: readonly Role[] = ['OWNER', 'ADMIN'];
