import { createHash } from 'node:crypto';
import { PRINCIPALS_CHANNEL, type Notifier } from '@switchboard/kit';

export interface CachedPrincipal {
  tenantId?: string;
  userId?: string;
  apiKeyId?: string;
  /** ISO expiry of an API key, if it has one. */
  validUntil?: string | null;
}

/**
 * Who a credential stands for, remembered for a few seconds so a request does not cost a
 * round trip to the tenants subgraph. Exactness comes from invalidation, not the TTL: the
 * tenants subgraph announces every role change and revocation before it answers, and this
 * cache drops the entries at once. While the announcement channel is down, nothing is
 * cached (every request asks). A key's own expiry bounds its entry.
 */
export class PrincipalCache<P extends CachedPrincipal> {
  private readonly entries = new Map<string, { principal: P; expires: number }>();
  /** 'user:<id>' | 'key:<id>' | 'tenant:<id>' → cache keys that mention it. */
  private readonly index = new Map<string, Set<string>>();
  private readonly subscription: { connected(): boolean; close(): void } | undefined;

  constructor(
    notifier: Notifier | undefined,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {
    this.subscription = notifier && ttlMs > 0 ? notifier.subscribe(PRINCIPALS_CHANNEL, (m) => this.invalidate(m)) : undefined;
  }

  static keyFor(credential: { apiKey?: string; userId?: string; tenantId?: string }): string {
    return credential.apiKey ? `k:${createHash('sha256').update(credential.apiKey).digest('hex')}` : `u:${credential.tenantId}:${credential.userId}`;
  }

  get(key: string): P | undefined {
    if (!this.subscription?.connected()) return undefined;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.principal;
  }

  set(key: string, principal: P): void {
    if (!this.subscription?.connected()) return;
    if (this.entries.size >= this.maxEntries) this.clear();
    const keyExpiry = principal.validUntil ? new Date(principal.validUntil).getTime() : Infinity;
    this.entries.set(key, { principal, expires: Math.min(this.now() + this.ttlMs, keyExpiry) });
    for (const ref of [principal.userId && `user:${principal.userId}`, principal.apiKeyId && `key:${principal.apiKeyId}`, principal.tenantId && `tenant:${principal.tenantId}`]) {
      if (!ref) continue;
      const keys = this.index.get(ref) ?? new Set<string>();
      keys.add(key);
      this.index.set(ref, keys);
    }
  }

  invalidate(change: Record<string, unknown>): void {
    for (const [field, prefix] of [['userId', 'user'], ['apiKeyId', 'key'], ['tenantId', 'tenant']] as const) {
      const id = change[field];
      if (typeof id !== 'string') continue;
      for (const key of this.index.get(`${prefix}:${id}`) ?? []) this.entries.delete(key);
      this.index.delete(`${prefix}:${id}`);
    }
  }

  clear(): void {
    this.entries.clear();
    this.index.clear();
  }

  close(): void {
    this.subscription?.close();
  }
}
