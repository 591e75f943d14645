import type { Redis } from '@switchboard/kit';

/**
 * Penalties the edge keeps about clients, shared by every gateway replica through Redis (in a
 * Map without it): the login throttle's failures per account (a backoff) and the threat
 * detector's decaying scores (a block). One record per key, with `until` — the time before
 * which the key is refused — and the counters that set it.
 */

/** Exponential backoff: `free` failures cost nothing; the next waits `baseMs`, each one after doubles it, up to `maxMs`. */
export interface BackoffRule {
  free: number;
  baseMs: number;
  maxMs: number;
  /** Failures are forgotten this long after the last one. */
  resetMs: number;
}

/** A score that halves every `halfLifeMs`; reaching `threshold` blocks the key for `blockMs` and starts it at 0 again. */
export interface ScoreRule {
  halfLifeMs: number;
  threshold: number;
  blockMs: number;
}

export interface ScoreResult {
  score: number;
  /** Set when this call blocked the key: until when. */
  blockedUntil?: number;
}

export interface PenaltyStore {
  /** For each key, the milliseconds before it is allowed again (0: it is). */
  waitMs(keys: string[], now: number): Promise<number[]>;
  /** Counts a failure; returns the wait now in force for the key. */
  fail(key: string, now: number, rule: BackoffRule): Promise<number>;
  /** Adds points to the key's score; blocks it when the score reaches the threshold. */
  score(key: string, points: number, now: number, rule: ScoreRule): Promise<ScoreResult>;
  /** Forgets the key (a successful login). */
  clear(key: string): Promise<void>;
  /** The key's name in Redis, for a script that reads blocks with other state (rate-limit.ts `consumeGuarded`). */
  storeKey?(key: string): string;
}

/** The wait after the n-th failure. */
export function backoffMs(failures: number, rule: BackoffRule): number {
  if (failures <= rule.free) return 0;
  return Math.min(rule.maxMs, rule.baseMs * 2 ** Math.min(40, failures - rule.free - 1));
}

interface Record_ {
  until: number;
  failures: number;
  at: number;
  score: number;
  expires: number;
}

/** One gateway process (no REDIS_URL). */
export class MemoryPenaltyStore implements PenaltyStore {
  private readonly records = new Map<string, Record_>();

  private read(key: string, now: number): Record_ | undefined {
    const r = this.records.get(key);
    if (r && r.expires <= now) {
      this.records.delete(key);
      return undefined;
    }
    return r;
  }

  private write(key: string, r: Record_, now: number): void {
    this.records.set(key, r);
    if (this.records.size > 50_000) for (const [k, v] of this.records) if (v.expires <= now) this.records.delete(k);
  }

  async waitMs(keys: string[], now: number): Promise<number[]> {
    return keys.map((k) => Math.max(0, (this.read(k, now)?.until ?? 0) - now));
  }

  async fail(key: string, now: number, rule: BackoffRule): Promise<number> {
    const r = this.read(key, now) ?? { until: 0, failures: 0, at: now, score: 0, expires: 0 };
    if (now - r.at > rule.resetMs) r.failures = 0;
    r.failures += 1;
    r.at = now;
    r.until = now + backoffMs(r.failures, rule);
    r.expires = r.until + rule.resetMs;
    this.write(key, r, now);
    return r.until - now;
  }

  async score(key: string, points: number, now: number, rule: ScoreRule): Promise<ScoreResult> {
    const r = this.read(key, now) ?? { until: 0, failures: 0, at: now, score: 0, expires: 0 };
    const score = decay(r.score, now - r.at, rule.halfLifeMs) + points;
    r.at = now;
    if (score >= rule.threshold && r.until <= now) {
      r.score = 0;
      r.until = now + rule.blockMs;
      r.expires = r.until + rule.halfLifeMs;
      this.write(key, r, now);
      return { score, blockedUntil: r.until };
    }
    r.score = score;
    r.expires = Math.max(r.until, now) + rule.halfLifeMs * 8; // by then the score is < 1/256 of itself
    this.write(key, r, now);
    return { score };
  }

  async clear(key: string): Promise<void> {
    this.records.delete(key);
  }
}

function decay(score: number, elapsedMs: number, halfLifeMs: number): number {
  return elapsedMs <= 0 ? score : score * 0.5 ** (elapsedMs / halfLifeMs);
}

// One hash per key: u (until), n (failures), a (last update), s (score). The caller's clock is
// passed in, like the rate limiter's.
const FAIL_LUA = `
local now, free, base, max, reset = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or 0)
local at = tonumber(redis.call('HGET', KEYS[1], 'a') or now)
if now - at > reset then n = 0 end
n = n + 1
local wait = 0
if n > free then wait = math.min(max, base * 2 ^ math.min(40, n - free - 1)) end
redis.call('HSET', KEYS[1], 'n', n, 'a', now, 'u', now + wait)
redis.call('PEXPIRE', KEYS[1], math.ceil(wait + reset))
return math.ceil(wait)
`;

const SCORE_LUA = `
local now, points, half, threshold, block = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local s = tonumber(redis.call('HGET', KEYS[1], 's') or 0)
local at = tonumber(redis.call('HGET', KEYS[1], 'a') or now)
local u = tonumber(redis.call('HGET', KEYS[1], 'u') or 0)
if now > at then s = s * 0.5 ^ ((now - at) / half) end
s = s + points
if s >= threshold and u <= now then
  redis.call('HSET', KEYS[1], 's', 0, 'a', now, 'u', now + block)
  redis.call('PEXPIRE', KEYS[1], math.ceil(block + half))
  return {tostring(s), tostring(now + block)}
end
redis.call('HSET', KEYS[1], 's', tostring(s), 'a', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(math.max(u - now, 0) + half * 8))
return {tostring(s), '0'}
`;

type FailCommand = (key: string, ...args: number[]) => Promise<number>;
type ScoreCommand = (key: string, ...args: number[]) => Promise<[string, string]>;

/** The same records in Redis hashes under `<prefix>pen:`, updated by Lua scripts (atomic across replicas). */
export class RedisPenaltyStore implements PenaltyStore {
  private readonly failCommand: FailCommand;
  private readonly scoreCommand: ScoreCommand;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    if (!('switchboardPenaltyFail' in redis)) {
      redis.defineCommand('switchboardPenaltyFail', { lua: FAIL_LUA, numberOfKeys: 1 });
      redis.defineCommand('switchboardPenaltyScore', { lua: SCORE_LUA, numberOfKeys: 1 });
    }
    const commands = redis as unknown as { switchboardPenaltyFail: FailCommand; switchboardPenaltyScore: ScoreCommand };
    this.failCommand = commands.switchboardPenaltyFail.bind(redis);
    this.scoreCommand = commands.switchboardPenaltyScore.bind(redis);
  }

  private key(key: string): string {
    return `${this.prefix}pen:${key}`;
  }

  storeKey(key: string): string {
    return this.key(key);
  }

  async waitMs(keys: string[], now: number): Promise<number[]> {
    if (!keys.length) return [];
    const pipeline = this.redis.pipeline();
    for (const k of keys) pipeline.hget(this.key(k), 'u');
    const rows = (await pipeline.exec()) ?? [];
    return rows.map(([error, value]) => {
      if (error) throw error;
      return Math.max(0, Math.ceil(Number(value ?? 0) - now));
    });
  }

  async fail(key: string, now: number, rule: BackoffRule): Promise<number> {
    return Number(await this.failCommand(this.key(key), now, rule.free, rule.baseMs, rule.maxMs, rule.resetMs));
  }

  async score(key: string, points: number, now: number, rule: ScoreRule): Promise<ScoreResult> {
    const [score, until] = await this.scoreCommand(this.key(key), now, points, rule.halfLifeMs, rule.threshold, rule.blockMs);
    return { score: Number(score), ...(Number(until) > 0 ? { blockedUntil: Number(until) } : {}) };
  }

  async clear(key: string): Promise<void> {
    await this.redis.del(this.key(key));
  }
}
