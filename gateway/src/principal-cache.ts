import { createHash } from 'node:crypto';
import { PRINCIPALS_CHANNEL, type NoticeSubscription, type Notifier } from '@switchboard/kit';

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
 *
 * A lookup races the notices: one that started before a role change or revocation can answer
 * with the old principal after the notice has dropped the entries. So a lookup takes a
 * `ticket()` (the notice generation) before it asks, and `set()` refuses an answer when a
 * notice about any of its user, key or tenant arrived after that ticket.
 *
 * While the tenants subgraph cannot be reached, `lastKnown()` serves an answer confirmed
 * within `staleMs` (PRINCIPAL_STALE_IF_ERROR_SECONDS), so an outage of tenants costs the
 * callers it had seen nothing. Safe for the same reason the cache is: every revocation and
 * role change goes through tenants, which announces it and drops the entry here; while
 * tenants is down none can be made; while the announcements are not heard, nothing is
 * served at all, and what was remembered before they were last lost is forgotten. A key's
 * own expiry still bounds it.
 *
 * Refresh-ahead: an entry used in the last `refreshAheadMs` of its TTL is claimed once
 * (`claimRefresh`) for a background re-ask, so a caller who keeps calling never waits for a
 * lookup on its request path. The answer is served until the TTL as before: the freshness
 * bound does not move, and a refresh that finds the credential gone drops the entry early.
 */
export class PrincipalCache<P extends CachedPrincipal> {
  /** `fresh` bounds `get()` (the TTL), `stale` bounds `lastKnown()`; both within a key's expiry. */
  private readonly entries = new Map<string, { principal: P; fresh: number; stale: number; epoch: number; keyExpiry: number; refreshing?: true }>();
  /** 'user:<id>' | 'key:<id>' | 'tenant:<id>' → cache keys that mention it. */
  private readonly index = new Map<string, Set<string>>();
  private readonly subscription: NoticeSubscription | undefined;
  /** Bumped by every notice (and clear); a ticket is the generation a lookup started at. */
  private generation = 0;
  /** 'user:<id>' | 'key:<id>' | 'tenant:<id>' → the generation of the last notice about it. */
  private readonly noticed = new Map<string, number>();
  /** Tickets older than this are refused whole (set when `noticed` is pruned, or on clear). */
  private floor = 0;

  constructor(
    notifier: Notifier | undefined,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 10_000,
    private readonly staleMs = 0,
    /** How long before its TTL ends a used entry is re-asked in the background (default a quarter of the TTL). */
    private readonly refreshAheadMs = ttlMs / 4,
  ) {
    this.subscription = notifier && (ttlMs > 0 || staleMs > 0) ? notifier.subscribe(PRINCIPALS_CHANNEL, (m) => this.invalidate(m)) : undefined;
  }

  static keyFor(credential: { apiKey?: string; userId?: string; tenantId?: string }): string {
    return credential.apiKey ? `k:${createHash('sha256').update(credential.apiKey).digest('hex')}` : `u:${credential.tenantId}:${credential.userId}`;
  }

  get(key: string): P | undefined {
    return this.lookup(key, 'fresh');
  }

  /** The last answer for `key` confirmed within `staleMs`: only for when tenants cannot be asked. */
  lastKnown(key: string): P | undefined {
    return this.lookup(key, 'stale');
  }

  private lookup(key: string, bound: 'fresh' | 'stale'): P | undefined {
    if (!this.subscription?.connected()) return undefined;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const now = this.now();
    // Remembered before the subscription last came back: a notice may have been missed.
    if (entry.stale <= now || entry.epoch !== this.subscription.epoch()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry[bound] > now ? entry.principal : undefined;
  }

  /**
   * True once for an entry that `get()` would serve and whose TTL ends within
   * `refreshAheadMs`: the caller re-asks tenants in the background and hands the answer to
   * `set()` (or `forget()` when the credential is gone). Not for an entry bounded by its
   * key's expiry (a new answer would not last longer). A refresh that fails is not retried:
   * the entry runs out and the next request asks, as without refresh-ahead.
   */
  claimRefresh(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry || entry.refreshing || !this.subscription?.connected() || entry.epoch !== this.subscription.epoch()) return false;
    const now = this.now();
    if (entry.fresh <= now || entry.fresh - now > this.refreshAheadMs || entry.keyExpiry <= entry.fresh) return false;
    entry.refreshing = true;
    return true;
  }

  /** Drops what is remembered for `key` (a refresh found the credential no longer valid). */
  forget(key: string): void {
    this.entries.delete(key);
  }

  /** Take before asking the tenants subgraph; pass to `set()` with its answer. */
  ticket(): number {
    return this.generation;
  }

  /**
   * Remembers an answer, unless a notice about it arrived after `ticket` (the lookup may have
   * read the state from before that change). Without a ticket, the answer is taken as fresh.
   */
  set(key: string, principal: P, ticket: number = this.generation): void {
    if (!this.subscription?.connected()) return;
    if (ticket < this.floor) return;
    const refs = refsOf(principal);
    if (refs.some((ref) => (this.noticed.get(ref) ?? -1) > ticket)) return;
    if (this.entries.size >= this.maxEntries) {
      this.entries.clear();
      this.index.clear();
    }
    const keyExpiry = principal.validUntil ? new Date(principal.validUntil).getTime() : Infinity;
    const now = this.now();
    this.entries.set(key, { principal, fresh: Math.min(now + this.ttlMs, keyExpiry), stale: Math.min(now + Math.max(this.ttlMs, this.staleMs), keyExpiry), epoch: this.subscription.epoch(), keyExpiry });
    for (const ref of refs) {
      const keys = this.index.get(ref) ?? new Set<string>();
      keys.add(key);
      this.index.set(ref, keys);
    }
  }

  invalidate(change: Record<string, unknown>): void {
    this.generation += 1;
    if (this.noticed.size >= this.maxEntries) {
      // Bounded memory: forget per-ref generations, and refuse every lookup already under way.
      this.noticed.clear();
      this.floor = this.generation;
    }
    for (const [field, prefix] of [['userId', 'user'], ['apiKeyId', 'key'], ['tenantId', 'tenant']] as const) {
      const id = change[field];
      if (typeof id !== 'string') continue;
      this.noticed.set(`${prefix}:${id}`, this.generation);
      for (const key of this.index.get(`${prefix}:${id}`) ?? []) this.entries.delete(key);
      this.index.delete(`${prefix}:${id}`);
    }
  }

  clear(): void {
    this.generation += 1;
    this.floor = this.generation;
    this.noticed.clear();
    this.entries.clear();
    this.index.clear();
  }

  close(): void {
    this.subscription?.close();
  }
}

function refsOf(principal: CachedPrincipal): string[] {
  const refs: string[] = [];
  if (principal.userId) refs.push(`user:${principal.userId}`);
  if (principal.apiKeyId) refs.push(`key:${principal.apiKeyId}`);
  if (principal.tenantId) refs.push(`tenant:${principal.tenantId}`);
  return refs;
}
