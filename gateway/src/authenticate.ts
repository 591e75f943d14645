import { PrincipalCache } from './principal-cache';
import { subgraphFetcher } from './subgraph-fetcher';
import { AppError, UnauthenticatedError, refuseRequest, currentScope, signIdentity, verifyJwt, withSpan, IDENTITY_HEADER, type Identity } from '@switchboard/kit';

export interface Authenticated {
  /** What the gateway signs and forwards to subgraphs. */
  identity: Identity;
  /** The caller's tenant plan, for the rate limiter; undefined for anonymous callers. */
  requestsPerMinute?: number;
}

export interface Authenticator {
  /** The caller's identity from the request headers; anonymous when there are none. */
  authenticate(headers: { authorization?: string; apiKey?: string }, hooks?: AuthenticateHooks): Promise<Authenticated>;
  /** Closes the kept-alive connections to the tenants subgraph. */
  close(): void;
}

export interface AuthenticateHooks {
  /**
   * Runs when the tenants subgraph is about to be asked (the answer is not cached); may throw
   * to refuse first (the per-IP failed-authentication budget).
   */
  beforeLookup?: () => Promise<void>;
}

export type Principal = Pick<Identity, 'kind' | 'tenantId' | 'userId' | 'apiKeyId' | 'apiKeyKind' | 'roles' | 'scopes'> & {
  requestsPerMinute?: number;
  validUntil?: string | null;
};

function authenticated({ requestsPerMinute, validUntil: _validUntil, ...identity }: Principal, exp: number): Authenticated {
  return { identity: { ...identity, exp }, ...(typeof requestsPerMinute === 'number' ? { requestsPerMinute } : {}) };
}

/**
 * A JWT's signature, issuer and expiry are checked here; then, for JWTs and API keys alike,
 * the tenants subgraph says who the credential stands for *now* (current role, key not
 * revoked or expired, tenant active). Its answers are cached only while the tenants
 * subgraph's change announcements are heard (see PrincipalCache), so a role change or a
 * revocation still takes effect on the next request.
 */
export function createAuthenticator(options: {
  jwtSecret: string;
  /** The JWT secret being rotated out: tokens signed with it stay valid until they expire. */
  previousJwtSecret?: string;
  internalSecret: string;
  tenantsUrl: () => string;
  timeoutMs: number;
  cache?: PrincipalCache<Principal>;
  /** Called when a last-known principal is served because tenants could not be asked. */
  onStale?: () => void;
}): Authenticator {
  async function principal(body: Record<string, string>, hooks: AuthenticateHooks): Promise<Principal | null> {
    const key = PrincipalCache.keyFor(body);
    const cached = options.cache?.get(key);
    if (cached) {
      if (options.cache!.claimRefresh(key)) void refresh(options.cache!, key, body);
      return cached;
    }
    await hooks.beforeLookup?.();
    const ticket = options.cache?.ticket(); // before asking: a notice during the lookup voids its answer
    let answer: Principal | null;
    try {
      answer = await withSpan('gateway.authenticate', { 'switchboard.credential': body.apiKey ? 'apiKey' : 'jwt' }, () => askTenants(body));
    } catch (error) {
      // Tenants unreachable: the last answer it gave for this credential, if recent (see PrincipalCache).
      const lastKnown = options.cache?.lastKnown(key);
      if (!lastKnown) throw error;
      options.onStale?.();
      return lastKnown;
    }
    if (answer) options.cache?.set(key, answer, ticket);
    return answer;
  }

  /**
   * Re-asks tenants for a remembered credential near the end of its TTL, off the request
   * path (PrincipalCache, refresh-ahead). A notice during it voids the answer as for any
   * lookup; a credential no longer valid is dropped so the next request is refused; a
   * failure leaves the entry to run out.
   */
  async function refresh(cache: PrincipalCache<Principal>, key: string, body: Record<string, string>): Promise<void> {
    const ticket = cache.ticket();
    try {
      const answer = await withSpan('gateway.authenticate', { 'switchboard.credential': body.apiKey ? 'apiKey' : 'jwt', 'switchboard.refresh': true }, () => askTenants(body));
      if (answer) cache.set(key, answer, ticket);
      else cache.forget(key);
    } catch {
      /* tenants unreachable: the entry lasts until its TTL, then the request path asks */
    }
  }

  // The same client as subgraph fetches (keep-alive node:http, one deadline for the exchange):
  // a lookup is on the request path of every caller the cache does not remember, and the
  // global fetch (undici, web streams) cost several times its CPU (docs/architecture.md).
  const http = subgraphFetcher({ timeoutMs: options.timeoutMs });
  let base = '';
  let url = '';
  const principalUrl = (b: string) => (b === base ? url : ((base = b), (url = new URL('/internal/principal', b).href)));
  async function askTenants(body: Record<string, string>): Promise<Principal | null> {
    let response: Awaited<ReturnType<typeof http>>;
    try {
      response = await http(principalUrl(options.tenantsUrl()), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          // Bound like every subgraph call: for the tenants subgraph only, this request, once.
          [IDENTITY_HEADER]: signIdentity({ kind: 'service', roles: [], scopes: [], audience: 'tenants', requestId: currentScope()?.requestId }, options.internalSecret),
        },
        body: JSON.stringify(body),
        // A read (and once-a-minute bookkeeping): resent once if a kept-alive socket was closed under it.
        idempotent: true,
      });
    } catch {
      throw unavailable();
    }
    if (response.status === 401) return null;
    if (!response.ok) throw unavailable();
    return (await response.json()) as Principal;
  }

  return {
    close: () => http.close(),
    async authenticate({ authorization, apiKey }, hooks = {}) {
      const exp = Math.floor(Date.now() / 1000) + 60;
      if (authorization) {
        const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
        const claims = match ? verifyJwt(match[1]!, options.previousJwtSecret ? [options.jwtSecret, options.previousJwtSecret] : options.jwtSecret) : null;
        if (!claims) throw refuseRequest(new UnauthenticatedError('Invalid or expired token'));
        const user = await principal({ userId: claims.sub, tenantId: claims.tid }, hooks);
        if (!user) throw refuseRequest(new UnauthenticatedError('This account no longer exists or is suspended'));
        return authenticated(user, exp);
      }
      if (apiKey) {
        const key = await principal({ apiKey }, hooks);
        if (!key) throw refuseRequest(new UnauthenticatedError('Invalid, revoked or expired API key'));
        return authenticated(key, exp);
      }
      return { identity: { kind: 'anonymous', roles: [], scopes: [], exp } };
    },
  };
}

function unavailable(): AppError {
  return refuseRequest(new AppError('UPSTREAM_UNAVAILABLE', 'Cannot verify credentials right now', { service: 'tenants' }));
}
