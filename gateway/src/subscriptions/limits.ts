import type { Identity } from '@switchboard/kit';
import type http from 'node:http';
import type { BucketKind, BucketSpec, RateLimitStore } from '../edge/rate-limit';

/** The socket server's limits (gateway env SUBSCRIPTION_*; docs/api.md "Live updates"). */
export interface LiveLimits {
  /** Largest frame read, in bytes (ws `maxPayload`): a bigger one closes the socket with 1009 before it is read. */
  maxPayloadBytes: number;
  /** Subscriptions open at once on one socket; the next is refused with RATE_LIMITED. */
  subscriptionsPerSocket: number;
  /** Sockets open at once per principal (a user of a tenant, or an API key), per gateway replica: the next closes with 4429. */
  socketsPerPrincipal: number;
  /** Sockets open at once per client IP, per gateway replica: the next closes with 4429 before its `connection_init` is read. */
  socketsPerIp: number;
}

export const DEFAULT_LIMITS: LiveLimits = { maxPayloadBytes: 256 * 1024, subscriptionsPerSocket: 50, socketsPerPrincipal: 20, socketsPerIp: 100 };

/** The HTTP rate limiter's store and buckets (edge/rate-limit.ts), charged by connects and subscribes. */
export interface LiveRateLimit {
  store: RateLimitStore;
  /** The buckets one request of this caller takes from (edge/rate-limit.ts `bucketsFor`). */
  buckets(identity: Identity, ip: string, requestsPerMinute: number | undefined): BucketSpec[];
  now(): number;
  onFailOpen?(error: unknown): void;
  onLimited?(kind: BucketKind): void;
}

export interface Refusal {
  bucket: BucketKind;
  limit: number;
  /** Seconds. */
  retryAfter: number;
}

/** Takes one request from the caller's buckets; a refusal when one is empty, undefined when allowed (or when the store does not answer: fail open, as over HTTP). */
export async function charge(rateLimit: LiveRateLimit | undefined, identity: Identity, ip: string, requestsPerMinute: number | undefined): Promise<Refusal | undefined> {
  if (!rateLimit) return undefined;
  const buckets = rateLimit.buckets(identity, ip, requestsPerMinute);
  let states;
  try {
    states = await rateLimit.store.consume(buckets, rateLimit.now());
  } catch (error) {
    rateLimit.onFailOpen?.(error);
    return undefined;
  }
  const refusedAt = states.findIndex((s) => !s.allowed);
  if (refusedAt < 0) return undefined;
  const bucket = buckets[refusedAt]!;
  rateLimit.onLimited?.(bucket.kind);
  return { bucket: bucket.kind, limit: bucket.limit, retryAfter: Math.max(1, Math.ceil(Math.max(...states.map((s) => s.retryAfterMs)) / 1000)) };
}

/** Who a socket counts against: one user of one tenant, or one API key. */
export function principalKey(identity: Identity): string {
  return identity.kind === 'apiKey' ? `key:${identity.apiKeyId}` : `user:${identity.tenantId}:${identity.userId}`;
}

/**
 * The client's address as Express's `trust proxy` with a hop count reads it: the socket's
 * peer, or the X-Forwarded-For entry `trustProxy` hops from it.
 */
export function clientIp(request: http.IncomingMessage, trustProxy: number): string {
  const peer = request.socket.remoteAddress ?? 'unknown';
  if (trustProxy <= 0) return peer;
  const header = request.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : header ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const chain = [peer, ...forwarded.reverse()];
  return chain[Math.min(trustProxy, chain.length - 1)]!;
}

/** Open sockets per key (principal or IP); `add` refuses past the cap. */
export class Counter {
  private readonly counts = new Map<string, number>();
  add(key: string, cap: number): boolean {
    const n = this.counts.get(key) ?? 0;
    if (n >= cap) return false;
    this.counts.set(key, n + 1);
    return true;
  }
  remove(key: string): void {
    const n = (this.counts.get(key) ?? 0) - 1;
    if (n > 0) this.counts.set(key, n);
    else this.counts.delete(key);
  }
}
