import type { EventSubscriber, FlushEventArgs, TransactionEventArgs } from '@mikro-orm/core';
import DataLoader from 'dataloader';
import { Counter } from 'prom-client';
import type { Metrics } from './metrics';
import type { Redis } from './redis';
import { withSpan } from './telemetry';

/**
 * How one entity type is cached: its GraphQL/entity name, what goes into Redis (plain
 * JSON, never lazy or secret fields), and how to read it back.
 */
export interface CachedType<T> {
  type: string;
  toCache(value: T): Record<string, unknown>;
  fromCache(json: Record<string, unknown>): T;
}

export interface EntityCacheOptions {
  subgraph: string;
  /** Without Redis there is no L2: every miss goes to the database. */
  redis?: Redis;
  ttlSeconds?: number;
  metrics: Metrics;
}

/**
 * The Redis L2 under every DataLoader: keys `<subgraph>:<type>:<tenant>:<id>`, batch reads
 * with one MGET, fills with SET … EX in one pipeline, and invalidation by the writes that
 * touch a key (see `subscriber()`). Redis failing never fails a request: the miss goes
 * to the database and the error is counted.
 */
export class EntityCache {
  readonly hits: Counter<'type'>;
  readonly misses: Counter<'type'>;
  readonly errors: Counter<'op'>;
  private readonly ttl: number;
  /** Entity class name → cache type name, for invalidation on flush. */
  private readonly invalidated = new Map<string, string>();

  constructor(private readonly options: EntityCacheOptions) {
    this.ttl = options.ttlSeconds ?? 300;
    const registers = [options.metrics.registry];
    this.hits = new Counter({ name: 'cache_hits_total', help: 'Redis L2 hits by type', labelNames: ['type'], registers });
    this.misses = new Counter({ name: 'cache_misses_total', help: 'Redis L2 misses by type (including reads while Redis is down)', labelNames: ['type'], registers });
    this.errors = new Counter({ name: 'cache_errors_total', help: 'Redis L2 command failures by operation', labelNames: ['op'], registers });
  }

  get enabled(): boolean {
    return Boolean(this.options.redis);
  }

  key(type: string, tenantId: string, id: string): string {
    return `${this.options.subgraph}:${type}:${tenantId}:${id}`;
  }

  /** Invalidate `type` keys whenever an entity of `entityClassName` is written. */
  invalidateOnWrite(entityClassName: string, type = entityClassName): this {
    this.invalidated.set(entityClassName, type);
    return this;
  }

  async getMany(type: string, tenantId: string, ids: readonly string[]): Promise<(Record<string, unknown> | undefined)[]> {
    const redis = this.options.redis;
    if (!redis || ids.length === 0) {
      this.misses.inc({ type }, ids.length);
      return ids.map(() => undefined);
    }
    try {
      const raw = await withSpan('redis MGET', { 'db.system': 'redis', 'db.operation.name': 'MGET', 'cache.type': type }, () => redis.mget(...ids.map((id) => this.key(type, tenantId, id))));
      const out = raw.map((r) => (r ? (JSON.parse(r) as Record<string, unknown>) : undefined));
      const hits = out.filter(Boolean).length;
      if (hits) this.hits.inc({ type }, hits);
      if (ids.length - hits) this.misses.inc({ type }, ids.length - hits);
      return out;
    } catch {
      this.errors.inc({ op: 'mget' });
      this.misses.inc({ type }, ids.length);
      return ids.map(() => undefined);
    }
  }

  async setMany(type: string, tenantId: string, entries: [string, Record<string, unknown>][]): Promise<void> {
    const redis = this.options.redis;
    if (!redis || entries.length === 0) return;
    try {
      const pipeline = redis.pipeline();
      for (const [id, value] of entries) pipeline.set(this.key(type, tenantId, id), JSON.stringify(value), 'EX', this.ttl);
      await withSpan('redis SET', { 'db.system': 'redis', 'db.operation.name': 'SET', 'cache.type': type }, () => pipeline.exec());
    } catch {
      this.errors.inc({ op: 'set' });
    }
  }

  async invalidate(keys: string[]): Promise<void> {
    const redis = this.options.redis;
    if (!redis || keys.length === 0) return;
    try {
      await withSpan('redis DEL', { 'db.system': 'redis', 'db.operation.name': 'DEL' }, () => redis.del(...keys));
    } catch {
      this.errors.inc({ op: 'del' });
    }
  }

  /**
   * A per-request DataLoader for one type in one tenant: Redis first (one MGET per batch),
   * then `load` for the misses (one query per batch), filling Redis on the way out.
   */
  loader<T>(cached: CachedType<T>, tenantId: string, load: (ids: readonly string[]) => Promise<Map<string, T>>): DataLoader<string, T | null> {
    return new DataLoader<string, T | null>(async (ids) => {
      const fromCache = await this.getMany(cached.type, tenantId, ids);
      const missing = ids.filter((_, i) => !fromCache[i]);
      const loaded = missing.length ? await load(missing) : new Map<string, T>();
      if (loaded.size) {
        await this.setMany(cached.type, tenantId, [...loaded].map(([id, v]) => [id, cached.toCache(v)]));
      }
      return ids.map((id, i) => {
        const hit = fromCache[i];
        return hit ? cached.fromCache(hit) : (loaded.get(id) ?? null);
      });
    });
  }

  /**
   * Deletes the cache keys of every written entity of a registered class: after the flush,
   * and again after the commit when the flush ran inside a transaction, so no reader
   * refills the key with the pre-commit row in between.
   */
  subscriber(): EventSubscriber {
    const pending = new WeakMap<object, string[]>();
    const keysOf = (args: FlushEventArgs) => {
      const keys: string[] = [];
      for (const cs of args.uow.getChangeSets()) {
        const type = this.invalidated.get(cs.meta.className);
        const entity = cs.entity as { id?: string; tenantId?: string };
        if (type && entity.id && entity.tenantId) keys.push(this.key(type, entity.tenantId, entity.id));
      }
      return keys;
    };
    return {
      afterFlush: async (args: FlushEventArgs) => {
        const keys = keysOf(args);
        if (!keys.length) return;
        await this.invalidate(keys);
        const trx = args.em.getTransactionContext() as object | undefined;
        if (trx) pending.set(trx, [...(pending.get(trx) ?? []), ...keys]);
      },
      afterTransactionCommit: async (args: TransactionEventArgs) => {
        const trx = args.transaction as object | undefined;
        const keys = trx ? pending.get(trx) : undefined;
        if (keys) {
          pending.delete(trx!);
          await this.invalidate(keys);
        }
      },
    };
  }
}

/** Revives ISO strings back into Dates for the named fields of a cached object. */
export function reviveDates<T>(json: Record<string, unknown>, fields: readonly string[]): T {
  const out: Record<string, unknown> = { ...json };
  for (const f of fields) if (typeof out[f] === 'string') out[f] = new Date(out[f] as string);
  return out as T;
}
