import { AppError } from './errors';
import { IDENTITY_HEADER, signIdentity } from './identity';

/**
 * One of our services calling another subgraph's GraphQL API for a tenant, as that tenant's
 * service (not through the gateway): a `kind: 'service'` identity with the tenant, the
 * scopes the call needs and the target as audience, signed fresh for each request. The
 * target authorizes it like an API key with those scopes (kit `authorize`).
 */
export interface ServiceTarget {
  /** The target subgraph's name (the identity's audience). */
  name: string;
  /** Its GraphQL URL. */
  url: string;
}

export interface ServiceCaller {
  /** The calling service's name (logged by the target). */
  service: string;
  internalSecret: string;
  timeoutMs?: number;
}

export async function callSubgraph<T = Record<string, unknown>>(
  caller: ServiceCaller,
  target: ServiceTarget,
  call: { tenantId: string; scopes: string[]; query: string; variables?: Record<string, unknown>; requestId?: string },
): Promise<T> {
  const identity = signIdentity(
    { kind: 'service', service: caller.service, tenantId: call.tenantId, roles: [], scopes: call.scopes, audience: target.name, requestId: call.requestId },
    caller.internalSecret,
  );
  let response: Response;
  try {
    response = await fetch(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: identity },
      body: JSON.stringify({ query: call.query, variables: call.variables ?? {} }),
      signal: AbortSignal.timeout(caller.timeoutMs ?? 10_000),
    });
  } catch {
    throw new AppError('UPSTREAM_UNAVAILABLE', `${target.name} did not answer`, { service: target.name });
  }
  const body = (await response.json().catch(() => ({}))) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  const first = body.errors?.[0];
  if (first) throw new AppError((first.extensions?.code as never) ?? 'INTERNAL_SERVER_ERROR', first.message, { service: target.name });
  if (!response.ok || !body.data) throw new AppError('UPSTREAM_UNAVAILABLE', `${target.name} answered ${response.status}`, { service: target.name });
  return body.data;
}
