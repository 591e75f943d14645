import type { Identity, Redis } from '@switchboard/kit';
import type { Request, RequestHandler, Response } from 'express';
import { edgeError, type Refuse } from './errors';

/**
 * Rate limits: GCRA (the "generic cell rate algorithm", a token bucket kept as one
 * timestamp). A bucket allowing `limit` requests per `windowMs` refills one request every
 * `windowMs / limit` and holds at most `limit`, so a quiet caller may burst up to its whole
 * minute and a busy one is held to the steady rate. Its state is the theoretical arrival time
 * (TAT) of the next request; the bucket is full when TAT ≤ now.
 */
export interface BucketSpec {
  /** The Redis key suffix: `key:<apiKeyId>`, `tenant:<tenantId>`, `ip:<address>`, `apq:<…>`. */
  id: string;
  /** What the client is told the bucket is: apiKey, tenant, ip, apqRegistrations, authFailures. */
  kind: BucketKind;
  limit: number;
  windowMs: number;
}

export type BucketKind = 'apiKey' | 'tenant' | 'ip' | 'apqRegistrations' | 'authFailures';

export interface BucketState {
  allowed: boolean;
  /** Requests left right after this one. */
  remaining: number;
  /** Milliseconds until the bucket is full again. */
  resetMs: number;
  /** When refused: milliseconds until one request is allowed. */
  retryAfterMs: number;
}

export interface RateLimitStore {
  /**
   * Takes one request from every bucket, atomically: when any bucket refuses, none is
   * charged. Rejects when the store cannot answer (the caller then fails open).
   */
  consume(buckets: BucketSpec[], now: number): Promise<BucketState[]>;
  /**
   * `consume`, unless one of `guards` (penalty-store keys, as `PenaltyStore.storeKey` names
   * them) is blocked: then it answers which, and charges nothing. In one round trip; absent
   * where the block is read apart (in-process stores cost no round trip).
   */
  consumeGuarded?(guards: string[], buckets: BucketSpec[], now: number): Promise<Guarded>;
  /** What `consume` would answer, without charging anything (absent: the caller consumes instead). */
  peek?(buckets: BucketSpec[], now: number): Promise<BucketState[]>;
  close?(): Promise<void>;
}

/** `consumeGuarded`'s answer: the buckets' states, or the first guard that is blocked (`ms` left) and no charge. */
export interface Guarded {
  blocked?: { index: number; ms: number };
  states: BucketState[];
}

/**
 * Blocks read in the same round trip as the request's buckets (`consumeGuarded`): the edge's
 * threat check folded into the rate limiter (threats.ts `inlineThreatGuard`).
 */
export interface BlockGuard {
  /** The store keys to read for this request; null when the guard has refused it already. */
  keys(req: Request, res: Response): Promise<string[] | null>;
  /** Refuses the request: its `index`-th key is blocked for `ms` more. */
  refuse(res: Response, index: number, ms: number): void;
  /** The store did not answer: the block check fails open, like the limiter. */
  onError(error: unknown): void;
}

/**
 * One GCRA step; `tat` is the stored theoretical arrival time (undefined: a full bucket). A
 * TAT more than a window ahead cannot come from this algorithm (the caller's clock went back,
 * or another replica's runs ahead): it is read as a full bucket rather than a refusal for hours.
 */
export function gcra(tat: number | undefined, now: number, limit: number, windowMs: number): BucketState & { newTat: number } {
  const interval = windowMs / limit;
  const start = tat === undefined || tat > now + windowMs ? now : Math.max(tat, now);
  const newTat = start + interval;
  const allowAt = newTat - windowMs;
  if (now < allowAt) {
    return { allowed: false, remaining: 0, resetMs: Math.ceil(start - now), retryAfterMs: Math.ceil(allowAt - now), newTat: start };
  }
  return { allowed: true, remaining: Math.floor((windowMs - (newTat - now)) / interval), resetMs: Math.ceil(newTat - now), retryAfterMs: 0, newTat };
}

/** For a single gateway process (no REDIS_URL): the same algorithm in a Map. */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly tats = new Map<string, number>();

  async consume(buckets: BucketSpec[], now: number): Promise<BucketState[]> {
    const steps = buckets.map((b) => gcra(this.tats.get(b.id), now, b.limit, b.windowMs));
    if (steps.every((s) => s.allowed)) buckets.forEach((b, i) => this.tats.set(b.id, steps[i]!.newTat));
    if (this.tats.size > 50_000) for (const [id, tat] of this.tats) if (tat <= now) this.tats.delete(id);
    return steps.map(({ newTat: _n, ...state }) => state);
  }

  async peek(buckets: BucketSpec[], now: number): Promise<BucketState[]> {
    return buckets.map((b) => {
      const { newTat: _n, ...state } = gcra(this.tats.get(b.id), now, b.limit, b.windowMs);
      return state;
    });
  }
}

/**
 * The same steps in one Lua script, so every gateway replica shares the buckets and two
 * replicas cannot both take the last request. The caller's clock is passed in (replicas'
 * clocks are NTP-synchronised; tests inject one). Keys expire when their bucket is full again.
 * The first ARGV[2] keys are guards — penalty-store hashes (penalties.ts) whose `u` is the time
 * a block ends: when one is blocked the script answers {-1, its index, ms left} and charges
 * nothing, so the edge reads the caller's block and takes its request in one round trip.
 * Per bucket ARGV holds limit, window and `extra`: when the request is allowed, up to `extra`
 * more requests are taken with it (never more than the bucket holds) for the caller to spend
 * without asking again — a lease (`RedisRateLimitStore`); the fifth field says how many.
 */
const GCRA_LUA = `
local now = tonumber(ARGV[1])
local g = tonumber(ARGV[2])
for i = 1, g do
  local u = tonumber(redis.call('HGET', KEYS[i], 'u') or 0)
  if u > now then return {{-1, i - 1, math.ceil(u - now), 0, 0}} end
end
local n = #KEYS - g
local results, tats, refused = {}, {}, false
for i = 1, n do
  local limit = tonumber(ARGV[3 * i])
  local window = tonumber(ARGV[3 * i + 1])
  local extra = tonumber(ARGV[3 * i + 2])
  local interval = window / limit
  local tat = tonumber(redis.call('GET', KEYS[g + i]) or now)
  if tat < now or tat > now + window then tat = now end
  local newTat = tat + interval
  local allowAt = newTat - window
  if now < allowAt then
    refused = true
    results[i] = {0, 0, math.ceil(tat - now), math.ceil(allowAt - now), 0}
  else
    local remaining = math.floor((window - (newTat - now)) / interval)
    if extra > remaining then extra = remaining end
    newTat = newTat + extra * interval
    tats[i] = newTat
    results[i] = {1, remaining - extra, math.ceil(newTat - now), 0, extra}
  end
end
if not refused then
  for i = 1, n do
    redis.call('SET', KEYS[g + i], string.format('%.3f', tats[i]), 'PX', math.ceil(tats[i] - now))
  end
end
return results
`;

type GcraCommand = (numKeys: number, ...args: (string | number)[]) => Promise<[number, number, number, number, number][]>;

/**
 * Leases: requests a gateway has taken from a shared bucket ahead of use, spent locally.
 * `max` is the most taken at once (1: every request asks Redis), `ms` how long they may be
 * spent; a bucket leases 1 % of its minute (`limit / 100`, at least 1, at most `max`), so a
 * small plan is still charged request by request. Taken before they are spent, leased
 * requests can never let replicas together past a limit; unspent ones lapse (the bucket
 * refills them). What the lease skips is the Redis read of the caller's block, so a block
 * set by another replica is seen within `ms` or `max` requests (this replica's own blocks at
 * once: threats.ts).
 */
export interface LeaseOptions {
  max: number;
  ms: number;
}

interface Lease {
  left: number;
  expires: number;
  /** The bucket's requests left in Redis after the lease was taken, and when it is full again. */
  remaining: number;
  resetAt: number;
}

export class RedisRateLimitStore implements RateLimitStore {
  private readonly command: GcraCommand;
  private readonly leases = new Map<string, Lease>();
  private sweepAt = 0;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly lease: LeaseOptions = { max: 1, ms: 0 },
  ) {
    if (!('switchboardGcra' in redis)) redis.defineCommand('switchboardGcra', { lua: GCRA_LUA });
    this.command = (redis as unknown as { switchboardGcra: GcraCommand }).switchboardGcra.bind(redis);
  }

  async consume(buckets: BucketSpec[], now: number): Promise<BucketState[]> {
    return (await this.take([], buckets, now, false)).states;
  }

  /** The request's buckets from its leases when every one has a request left; else one round trip (which renews them). */
  async consumeGuarded(guards: string[], buckets: BucketSpec[], now: number): Promise<Guarded> {
    if (this.lease.max > 1) {
      const held = buckets.map((b) => this.leases.get(leaseKey(b)));
      if (held.every((l) => l && l.left > 0 && l.expires > now)) {
        return {
          states: held.map((l) => {
            l!.left -= 1;
            return { allowed: true, remaining: l!.remaining + l!.left, resetMs: Math.max(0, l!.resetAt - now), retryAfterMs: 0 };
          }),
        };
      }
    }
    return this.take(guards, buckets, now, this.lease.max > 1);
  }

  private async take(guards: string[], buckets: BucketSpec[], now: number, leasing: boolean): Promise<Guarded> {
    const keys = [...guards, ...buckets.map((b) => `${this.prefix}rl:${b.id}`)];
    const extras = buckets.map((b) => (leasing ? Math.min(this.lease.max, Math.max(1, Math.floor(b.limit / 100))) - 1 : 0));
    const args = buckets.flatMap((b, i) => [b.limit, b.windowMs, extras[i]!]);
    const rows = await this.command(keys.length, ...keys, now, guards.length, ...args);
    const [first] = rows;
    if (first && first[0] === -1) return { blocked: { index: first[1], ms: first[2] }, states: [] };
    const states = rows.map(([allowed, remaining, resetMs, retryAfterMs, leased]) => ({ allowed: allowed === 1, remaining: remaining + (leased ?? 0), resetMs, retryAfterMs }));
    if (leasing && states.every((s) => s.allowed) && this.roomForLeases(now)) {
      buckets.forEach((b, i) => {
        const [, remaining, resetMs, , leased] = rows[i]!;
        if (leased > 0) this.leases.set(leaseKey(b), { left: leased, expires: now + this.lease.ms, remaining, resetAt: now + resetMs });
        else this.leases.delete(leaseKey(b));
      });
    }
    return { states };
  }

  /**
   * Whether another lease may be kept: at most MAX_LEASES (many distinct callers within a
   * lease's time — anonymous addresses, say), swept of lapsed ones at most once per lease time
   * so a flood of new buckets costs no sweep per request. Without room a request is simply
   * charged alone.
   */
  private roomForLeases(now: number): boolean {
    if (this.leases.size < MAX_LEASES) return true;
    if (now >= this.sweepAt) {
      this.sweepAt = now + this.lease.ms;
      for (const [k, l] of this.leases) if (l.expires <= now || l.left === 0) this.leases.delete(k);
    }
    return this.leases.size < MAX_LEASES;
  }

  /** Reads the buckets' TATs and steps them here: nothing is written, so it needs no atomicity. */
  async peek(buckets: BucketSpec[], now: number): Promise<BucketState[]> {
    if (!buckets.length) return [];
    const tats = await this.redis.mget(...buckets.map((b) => `${this.prefix}rl:${b.id}`));
    return buckets.map((b, i) => {
      const { newTat: _n, ...state } = gcra(tats[i] == null ? undefined : Number(tats[i]), now, b.limit, b.windowMs);
      return state;
    });
  }
}

const MAX_LEASES = 10_000;
const leaseKey = (b: BucketSpec) => `${b.id}/${b.limit}/${b.windowMs}`;

export interface RateLimitOptions {
  store: RateLimitStore;
  /** The caller's tenant plan, from the principal lookup. */
  requestsPerMinute: (res: { locals: Record<string, unknown> }) => number | undefined;
  apiKeySharePercent: number;
  anonymousPerMinute: number;
  apqRegistrationsPerMinute: number;
  isApqRegistration: (req: Request) => boolean;
  now: () => number;
  refuse: Refuse;
  onFailOpen: (error: unknown) => void;
  onLimited: (kind: BucketKind) => void;
  /** Blocks to read in the same round trip, where the store can (`consumeGuarded`). */
  guard?: BlockGuard;
}

const MINUTE = 60_000;

/** The buckets one request takes from. */
export function bucketsFor(identity: Identity, ip: string, requestsPerMinute: number | undefined, options: Pick<RateLimitOptions, 'apiKeySharePercent' | 'anonymousPerMinute' | 'apqRegistrationsPerMinute'>, registration: boolean): BucketSpec[] {
  const buckets: BucketSpec[] = [];
  const rpm = Math.max(1, requestsPerMinute ?? options.anonymousPerMinute);
  if (identity.kind === 'apiKey' && identity.apiKeyId) {
    buckets.push({ id: `key:${identity.apiKeyId}`, kind: 'apiKey', limit: Math.max(1, Math.floor((rpm * options.apiKeySharePercent) / 100)), windowMs: MINUTE });
  }
  if (identity.tenantId) buckets.push({ id: `tenant:${identity.tenantId}`, kind: 'tenant', limit: rpm, windowMs: MINUTE });
  else buckets.push({ id: `ip:${ip}`, kind: 'ip', limit: options.anonymousPerMinute, windowMs: MINUTE });
  if (registration) {
    buckets.push({ id: `apq:${identity.tenantId ?? `ip:${ip}`}`, kind: 'apqRegistrations', limit: options.apqRegistrationsPerMinute, windowMs: MINUTE });
  }
  return buckets;
}

/**
 * Per API key (a share of its tenant's plan), per tenant (the plan's requestsPerMinute) and,
 * for anonymous callers, per client IP; APQ registrations also take from their own bucket.
 * Every response carries `X-RateLimit-Limit/Remaining/Reset` of the tightest request bucket;
 * over a limit the request is refused whole: 429 RATE_LIMITED with `Retry-After` and
 * `extensions.retryAfter` (seconds). When the store cannot answer, the request goes through
 * (fail open) and is counted.
 */
export function rateLimitMiddleware(options: RateLimitOptions): RequestHandler {
  return async (req, res, next) => {
    const identity = res.locals.identity as Identity;
    const buckets = bucketsFor(identity, req.ip ?? 'unknown', options.requestsPerMinute(res), options, options.isApqRegistration(req));
    const { store, guard } = options;
    const guards = guard && store.consumeGuarded ? await guard.keys(req, res) : undefined;
    if (guards === null) return; // the guard has refused it
    let states: BucketState[];
    try {
      if (guards) {
        const answer = await store.consumeGuarded!(guards, buckets, options.now());
        if (answer.blocked) return guard!.refuse(res, answer.blocked.index, answer.blocked.ms);
        states = answer.states;
      } else states = await store.consume(buckets, options.now());
    } catch (error) {
      if (guards) guard!.onError(error);
      options.onFailOpen(error);
      next();
      return;
    }
    // The headers describe the tightest of the request buckets (not the registration one).
    let shown = 0;
    buckets.forEach((b, i) => {
      if (b.kind === 'apqRegistrations') return;
      const s = states[i]!;
      const best = states[shown]!;
      if (s.remaining < best.remaining || (s.remaining === best.remaining && b.limit < buckets[shown]!.limit)) shown = i;
    });
    const refusedAt = states.findIndex((s) => !s.allowed);
    const headerIndex = refusedAt >= 0 ? refusedAt : shown;
    res.setHeader('X-RateLimit-Limit', String(buckets[headerIndex]!.limit));
    res.setHeader('X-RateLimit-Remaining', String(Math.max(0, states[headerIndex]!.remaining)));
    res.setHeader('X-RateLimit-Reset', String(Math.ceil(states[headerIndex]!.resetMs / 1000)));
    if (refusedAt < 0) {
      next();
      return;
    }
    const retryAfter = Math.max(1, Math.ceil(Math.max(...states.map((s) => s.retryAfterMs)) / 1000));
    const bucket = buckets[refusedAt]!;
    options.onLimited(bucket.kind);
    const what = { apiKey: 'this API key', tenant: 'your tenant’s plan', ip: 'anonymous requests from your address', apqRegistrations: 'persisted-query registrations', authFailures: 'failed authentications from your address' }[bucket.kind];
    options.refuse(
      res,
      429,
      edgeError('RATE_LIMITED', `Rate limit of ${what} exceeded (${bucket.limit} per minute); retry after ${retryAfter} s`, {
        retryAfter,
        bucket: bucket.kind,
        limit: bucket.limit,
      }),
      { 'Retry-After': String(retryAfter) },
    );
  };
}
