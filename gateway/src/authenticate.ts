import { AppError, UnauthenticatedError, signIdentity, verifyJwt, IDENTITY_HEADER, type Identity, type Role } from '@switchboard/kit';

export interface Authenticator {
  /** The caller's identity from the request headers; anonymous when there are none. */
  authenticate(headers: { authorization?: string; apiKey?: string }): Promise<Identity>;
}

const ANONYMOUS = (): Identity => ({ kind: 'anonymous', roles: [], scopes: [], exp: 0 });

/**
 * JWTs are checked here (signature, issuer, expiry). API keys are asked of the tenants
 * subgraph on every request — no cache — so a revoked or expired key fails at once.
 */
export function createAuthenticator(options: { jwtSecret: string; internalSecret: string; tenantsUrl: () => string; timeoutMs: number }): Authenticator {
  const verifyUrl = () => new URL('/internal/api-keys/verify', options.tenantsUrl()).toString();
  return {
    async authenticate({ authorization, apiKey }) {
      if (authorization) {
        const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
        const claims = match ? verifyJwt(match[1]!, options.jwtSecret) : null;
        if (!claims) throw withStatus(new UnauthenticatedError('Invalid or expired token'), 401);
        return { kind: 'user', tenantId: claims.tid, userId: claims.sub, roles: [claims.role as Role], scopes: [], exp: claims.exp };
      }
      if (apiKey) {
        let response: Response;
        try {
          response = await fetch(verifyUrl(), {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              [IDENTITY_HEADER]: signIdentity({ kind: 'service', roles: [], scopes: [] }, options.internalSecret),
            },
            body: JSON.stringify({ key: apiKey }),
            signal: AbortSignal.timeout(options.timeoutMs),
          });
        } catch {
          throw withStatus(new AppError('UPSTREAM_UNAVAILABLE', 'Cannot verify the API key right now', { service: 'tenants' }), 503);
        }
        if (response.status === 401) throw withStatus(new UnauthenticatedError('Invalid, revoked or expired API key'), 401);
        if (!response.ok) throw withStatus(new AppError('UPSTREAM_UNAVAILABLE', 'Cannot verify the API key right now', { service: 'tenants' }), 503);
        const key = (await response.json()) as { tenantId: string; apiKeyId: string; kind: Identity['apiKeyKind']; scopes: string[] };
        return { kind: 'apiKey', tenantId: key.tenantId, apiKeyId: key.apiKeyId, apiKeyKind: key.kind, roles: [], scopes: key.scopes, exp: 0 };
      }
      return ANONYMOUS();
    },
  };
}

function withStatus(error: AppError, status: number): AppError {
  error.extensions.http = { status };
  return error;
}
