import { Entity, Index, OptionalProps, PrimaryKey, Property, type EventSubscriber, type FlushEventArgs, type TransactionEventArgs } from '@mikro-orm/core';
import { Migration } from '@mikro-orm/migrations';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { Counter } from 'prom-client';
import { runDetached } from './context';
import { TENANT_FILTER } from './db';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { Redis } from './redis';

/** A domain event: something that happened in one tenant, named `<entity>.<verb>`. */
export interface DomainEvent<D = Record<string, unknown>> {
  id: string;
  type: string;
  tenantId: string;
  occurredAt: string;
  data: D;
}

/**
 * The outbox: events are inserted in the same flush — the same transaction — as the change
 * they describe, and a relay moves them to the bus after commit. A crash between commit
 * and publish loses nothing: the relay finds the row on its next pass.
 */
@Entity({ tableName: 'outbox' })
@Index({ properties: ['publishedAt', 'occurredAt'] })
export class OutboxEvent {
  [OptionalProps]?: 'occurredAt' | 'publishedAt' | 'data';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  tenantId!: string;

  @Property({ type: 'text' })
  type!: string;

  @Property({ type: 'jsonb' })
  data: Record<string, unknown> = {};

  @Property({ type: 'timestamptz' })
  occurredAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  publishedAt?: Date | null = null;
}

/** Records an event in the caller's unit of work: it is written when (and only if) the change is. */
export function emitEvent(em: EntityManager, type: string, tenantId: string, data: Record<string, unknown>): OutboxEvent {
  const event = em.create(OutboxEvent, { type, tenantId, data });
  em.persist(event);
  return event;
}

/** Consumer bookkeeping: an event id applied once per consumer group, whatever the redeliveries. */
@Entity({ tableName: 'processed_event' })
export class ProcessedEvent {
  @PrimaryKey({ type: 'text' })
  consumer!: string;

  @PrimaryKey({ type: 'uuid' })
  eventId!: string;

  @Property({ type: 'timestamptz' })
  processedAt: Date = new Date();
}

export class Migration00000000000001Events extends Migration {
  override async up(): Promise<void> {
    const s = this.config.get('schema');
    this.addSql(`create table "${s}"."outbox" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "type" text not null,
      "data" jsonb not null default '{}',
      "occurred_at" timestamptz not null,
      "published_at" timestamptz null
    )`);
    this.addSql(`create index "outbox_unpublished_idx" on "${s}"."outbox" ("occurred_at") where "published_at" is null`);
    this.addSql(`create table "${s}"."processed_event" (
      "consumer" text not null,
      "event_id" uuid not null,
      "processed_at" timestamptz not null,
      primary key ("consumer", "event_id")
    )`);
  }
}

export type EventHandler = (event: DomainEvent) => Promise<void>;

/** Where events go after the outbox. */
export interface EventBus {
  publish(events: DomainEvent[]): Promise<void>;
  /**
   * Delivers every event of `types` to `handler`, at least once, to one member of `group`
   * (each group sees every event). Returns a function that stops consuming.
   */
  consume(group: string, types: readonly string[], handler: EventHandler): () => Promise<void>;
  close(): Promise<void>;
}

/**
 * Without Redis: an in-process bus. It only works when every service runs in this one
 * process (`npm start` without REDIS_URL), and it keeps nothing: a group only sees events
 * published after it started consuming.
 */
export function inProcessBus(logger?: Logger): EventBus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    async publish(events) {
      for (const e of events) emitter.emit('event', e);
    },
    consume(group, types, handler) {
      const queue: DomainEvent[] = [];
      let running: Promise<void> | undefined;
      const drain = async () => {
        while (queue.length) {
          const e = queue.shift()!;
          // At-least-once, like the Redis bus: a failing handler sees the event again.
          for (let attempt = 1; attempt <= 5; attempt++) {
            try {
              await handler(e);
              break;
            } catch (error) {
              logger?.warn('event handler failed', { group, eventId: e.id, type: e.type, attempt, error });
              await new Promise((r) => setTimeout(r, 50 * attempt));
            }
          }
        }
        running = undefined;
      };
      const listener = (e: DomainEvent) => {
        if (!types.includes(e.type)) return;
        queue.push(e);
        running ??= runDetached(drain);
      };
      emitter.on('event', listener);
      return async () => {
        emitter.off('event', listener);
        await running;
      };
    },
    async close() {
      emitter.removeAllListeners();
    },
  };
}

export const EVENT_STREAM = 'switchboard:events';

/**
 * Redis Streams: one stream for every domain event, a consumer group per consumer. A
 * consumer reads its own pending entries first (what it took but never acknowledged before
 * a crash), then new ones; it acknowledges only after the handler succeeded.
 */
export function redisStreamBus(redis: Redis, options: { consumerName?: string; blockMs?: number; stream?: string; logger?: Logger } = {}): EventBus {
  const stream = options.stream ?? EVENT_STREAM;
  const consumerName = options.consumerName ?? `${process.pid}-${randomUUID().slice(0, 8)}`;
  const readers: Redis[] = [];
  return {
    async publish(events) {
      if (!events.length) return;
      const pipeline = redis.pipeline();
      for (const e of events) {
        pipeline.xadd(stream, 'MAXLEN', '~', '1000000', '*', 'id', e.id, 'type', e.type, 'tenantId', e.tenantId, 'occurredAt', e.occurredAt, 'data', JSON.stringify(e.data));
      }
      const results = await pipeline.exec();
      const failed = results?.find(([err]) => err);
      if (failed) throw failed[0];
    },
    consume(group, types, handler) {
      // A blocking read needs its own connection.
      const reader = redis.duplicate({ enableOfflineQueue: true, commandTimeout: undefined, maxRetriesPerRequest: null });
      reader.on('error', () => {});
      readers.push(reader);
      let stopped = false;
      const loop = (async () => {
        await reader.xgroup('CREATE', stream, group, '0', 'MKSTREAM').catch((e: Error) => {
          if (!/BUSYGROUP/.test(e.message)) throw e;
        });
        let cursor = '0'; // our own pending entries first
        while (!stopped) {
          type Reply = [string, [string, string[]][]][] | null;
          let reply: Reply;
          try {
            reply = (await reader.xreadgroup('GROUP', group, consumerName, 'COUNT', 100, 'BLOCK', options.blockMs ?? 1000, 'STREAMS', stream, cursor)) as unknown as Reply;
          } catch {
            if (stopped) break;
            await new Promise((r) => setTimeout(r, 500));
            continue;
          }
          const entries = reply?.[0]?.[1] ?? [];
          if (cursor === '0' && entries.length === 0) cursor = '>';
          for (const [streamId, fields] of entries) {
            const f: Record<string, string> = {};
            for (let i = 0; i < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
            if (f.type && types.includes(f.type)) {
              const event: DomainEvent = { id: f.id!, type: f.type, tenantId: f.tenantId!, occurredAt: f.occurredAt!, data: JSON.parse(f.data ?? '{}') };
              try {
                await handler(event);
              } catch (error) {
                options.logger?.warn('event handler failed; the event stays pending', { group, eventId: event.id, type: event.type, error });
                cursor = '0'; // leave it pending; it comes back on the next pass
                continue;
              }
            }
            await reader.xack(stream, group, streamId);
          }
          if (cursor === '0' && entries.length) continue;
        }
      })();
      return async () => {
        stopped = true;
        reader.disconnect();
        await loop.catch(() => {});
      };
    },
    async close() {
      for (const r of readers) r.disconnect();
    },
  };
}

/**
 * Runs `handler` for an event at most once per consumer: the event id is recorded in the
 * same transaction as whatever the handler writes, so a redelivered event is skipped. The
 * handler's EntityManager is bound to the event's tenant, like a request's.
 */
export function idempotent(orm: MikroORM, consumer: string, handler: (em: EntityManager, event: DomainEvent) => Promise<void>): EventHandler {
  return async (event) => {
    const fork = orm.em.fork();
    fork.setFilterParams(TENANT_FILTER, { tenantId: event.tenantId });
    await fork.transactional(async (em) => {
      const inserted = await em.getConnection().execute(
        `insert into "${orm.config.get('schema')}"."processed_event" ("consumer", "event_id", "processed_at") values (?, ?, now()) on conflict do nothing`,
        [consumer, event.id],
        'run',
        em.getTransactionContext(),
      );
      if ((inserted as { affectedRows?: number }).affectedRows === 0) return;
      await handler(em, event);
    });
  };
}

/**
 * Moves outbox rows to the bus: woken right after a flush that wrote events, and on a
 * timer for anything a crash left behind. Rows are claimed with FOR UPDATE SKIP LOCKED, so
 * several replicas never publish the same row at once (a crash after publish and before the
 * update republishes it: at-least-once, which consumers absorb by event id).
 */
export class OutboxRelay {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  readonly published: Counter;

  constructor(
    private readonly orm: MikroORM,
    private readonly bus: EventBus,
    private readonly logger: Logger,
    metrics: Metrics,
    private readonly intervalMs = 1_000,
  ) {
    this.published = new Counter({ name: 'events_published_total', help: 'Domain events moved from the outbox to the bus', registers: [metrics.registry] });
  }

  start(): this {
    this.timer = setInterval(() => this.wake(), this.intervalMs);
    this.timer.unref();
    this.wake();
    return this;
  }

  /**
   * Wakes the relay once outbox rows are committed: right after a flush outside a
   * transaction, or after the commit of the transaction that flushed them.
   */
  subscriber(): EventSubscriber {
    const pending = new WeakSet<object>();
    return {
      afterFlush: async ({ uow, em }: FlushEventArgs) => {
        if (!uow.getChangeSets().some((cs) => cs.entity instanceof OutboxEvent)) return;
        const trx = em.getTransactionContext() as object | undefined;
        if (trx) pending.add(trx);
        else setImmediate(() => this.wake());
      },
      afterTransactionCommit: async ({ transaction }: TransactionEventArgs) => {
        if (transaction && pending.has(transaction as object)) {
          pending.delete(transaction as object);
          setImmediate(() => this.wake());
        }
      },
    };
  }

  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = runDetached(() => this.drain())
      .catch((error) => this.logger.warn('outbox relay pass failed', { error }))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Publishes everything pending; resolves when the outbox is empty (or the bus failed). */
  async drain(): Promise<void> {
    const schema = this.orm.config.get('schema');
    for (;;) {
      const moved = await this.orm.em.fork().transactional(async (em) => {
        const conn = em.getConnection();
        const trx = em.getTransactionContext();
        const rows = (await conn.execute(
          `select "id", "tenant_id", "type", "data", "occurred_at" from "${schema}"."outbox" where "published_at" is null order by "occurred_at", "id" limit 100 for update skip locked`,
          [],
          'all',
          trx,
        )) as unknown as { id: string; tenant_id: string; type: string; data: Record<string, unknown>; occurred_at: Date }[];
        if (!rows.length) return 0;
        await this.bus.publish(
          rows.map((r) => ({ id: r.id, type: r.type, tenantId: r.tenant_id, data: r.data, occurredAt: new Date(r.occurred_at).toISOString() })),
        );
        await conn.execute(`update "${schema}"."outbox" set "published_at" = now() where "id" in (${rows.map(() => '?').join(', ')})`, rows.map((r) => r.id), 'run', trx);
        return rows.length;
      });
      this.published.inc(moved);
      if (moved < 100) return;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}

/** The bus a service uses: Redis Streams with REDIS_URL, else in-process (one process only). */
export function busFor(redis: Redis | undefined, stream: string, logger?: Logger): EventBus {
  return redis ? redisStreamBus(redis, { stream, logger }) : inProcessBus(logger);
}

/** Starts the relay for a service's outbox and wakes it after every flush that wrote events. */
export function startOutboxRelay(orm: MikroORM, bus: EventBus, logger: Logger, metrics: Metrics): OutboxRelay {
  const relay = new OutboxRelay(orm, bus, logger, metrics);
  orm.em.getEventManager().registerSubscriber(relay.subscriber());
  return relay.start();
}
