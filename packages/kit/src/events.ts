import { Entity, Index, OptionalProps, PrimaryKey, Property, type EventSubscriber, type FlushEventArgs, type TransactionEventArgs } from '@mikro-orm/core';
import { Migration } from '@mikro-orm/migrations';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { Counter } from 'prom-client';
import { currentScope, runDetached } from './context';
import { formatTraceparent } from './identity';
import { outgoingTraceContext } from './telemetry';
import { TENANT_FILTER } from './tenant-filter';
import type { OrmFeature } from './db';
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
  /** W3C trace context of the request that caused it: consumers continue that trace. */
  traceparent?: string;
}

/**
 * Where the outbox keeps an event's trace context: inside `data` under this key (no column,
 * so no migration in every subgraph), lifted out into `traceparent` by the relay before publishing.
 */
export const TRACEPARENT_KEY = '$traceparent';

/** The event as published: its trace context out of `data` and into `traceparent`. */
export function liftTraceparent(event: DomainEvent): DomainEvent {
  const carried = event.data?.[TRACEPARENT_KEY];
  if (typeof carried !== 'string') return event;
  const { [TRACEPARENT_KEY]: _trace, ...data } = event.data;
  return { ...event, data, traceparent: carried };
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
  // Inside a request: the event carries its trace, so the consumers' spans join it.
  const scope = currentScope();
  const traced = scope ? { ...data, [TRACEPARENT_KEY]: formatTraceparent(outgoingTraceContext(scope.trace)) } : data;
  const event = em.create(OutboxEvent, { type, tenantId, data: traced });
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

/**
 * Handles several events at once (typically in one transaction). It must be all-or-nothing:
 * when it throws, each event of the batch is delivered again on its own (as a batch of one),
 * under the usual retries and dead letters, so one poison event never holds back the others.
 */
export type BatchHandler = (events: DomainEvent[]) => Promise<void>;

/** How hard a consumer group tries one event before giving up on it. */
export interface ConsumeOptions {
  /** Attempts in all, the first included (default 5). */
  maxAttempts?: number;
  /** Milliseconds to wait after failed attempt `n` (1-based) before the next one (default 100 ms · 2^(n-1), at most 30 s). */
  backoff?: (attempt: number) => number;
  /** Events read from the bus at a time (default 100): the largest batch a `BatchHandler` is given. */
  batchSize?: number;
}

export const DEFAULT_BATCH_SIZE = 100;

/** The delivery policy a bus applies: retries with backoff, then `deadLetter`, then the event is settled and the group moves on. */
export interface DeliveryPolicy extends ConsumeOptions {
  /**
   * With it, what the bus read at once (up to `batchSize` events) is first handed over in
   * one call; a failed batch falls back to `handler`, one event at a time. Retries are
   * always of one event.
   */
  batchHandler?: BatchHandler;
  /** Where an event goes after its last failed attempt (without one: logged and dropped). Throwing keeps the event for another try. */
  deadLetter?: (event: DomainEvent, error: unknown, attempts: number) => Promise<void>;
  logger?: Logger;
  /** Told the group's lag now and then (see `EventBus.consume`); consumer.ts exports it as `event_consumer_lag{group}`. */
  onLag?: (lag: number) => void;
  /** Told each time the bus found its group gone (Redis lost its data) and created it again. */
  onGroupRecreated?: () => void;
}

export const DEFAULT_MAX_ATTEMPTS = 5;
export const defaultBackoff = (attempt: number): number => Math.min(30_000, 100 * 2 ** (attempt - 1));

interface Pending {
  event: DomainEvent;
  attempt: number;
  due: number;
  settle: (outcome: 'handled' | 'dead-lettered') => Promise<void>;
}

/**
 * The one delivery policy, shared by every bus. A failed event is set aside with the time of
 * its next attempt and the consumer goes on with the events behind it; `runDue` retries what
 * is due. After the last attempt the event goes to the dead letters and is settled
 * (acknowledged), so one poison event never stalls its group.
 */
export class Deliverer {
  private readonly pending: Pending[] = [];
  private readonly maxAttempts: number;
  private readonly backoff: (attempt: number) => number;

  constructor(
    readonly group: string,
    private readonly handler: EventHandler,
    private readonly policy: DeliveryPolicy = {},
  ) {
    this.maxAttempts = Math.max(1, policy.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
    this.backoff = policy.backoff ?? defaultBackoff;
  }

  /** First attempt at a new event; `settle` runs once it succeeded or was dead-lettered. */
  offer(event: DomainEvent, settle: (outcome: 'handled' | 'dead-lettered') => Promise<void> = async () => {}): Promise<void> {
    return this.attempt({ event, attempt: 1, due: 0, settle });
  }

  /**
   * First attempt at several new events: one call of the policy's `batchHandler` when it has
   * one (then every event is settled as handled), else — or when the batch failed — `offer`
   * for each in turn.
   */
  async offerBatch(items: { event: DomainEvent; settle?: (outcome: 'handled' | 'dead-lettered') => Promise<void> }[]): Promise<void> {
    const batch = this.policy.batchHandler;
    if (batch && items.length > 1) {
      let ok = false;
      try {
        await batch(items.map((i) => i.event));
        ok = true;
      } catch (error) {
        this.policy.logger?.warn('event batch failed; delivering its events one at a time', { group: this.group, events: items.length, error });
      }
      if (ok) {
        await Promise.all(items.map((i) => i.settle?.('handled')));
        return;
      }
    }
    for (const i of items) await this.offer(i.event, i.settle);
  }

  /** Events waiting for another attempt. */
  get waiting(): number {
    return this.pending.length;
  }

  /** When the next retry is due (epoch ms), if any. */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const p of this.pending) if (next === undefined || p.due < next) next = p.due;
    return next;
  }

  /** Retries every event whose time has come, oldest due first. */
  async runDue(now = Date.now()): Promise<void> {
    const due = this.pending.filter((p) => p.due <= now).sort((a, b) => a.due - b.due);
    for (const p of due) {
      this.pending.splice(this.pending.indexOf(p), 1);
      await this.attempt(p);
    }
  }

  /** Forgets what is waiting (the bus stopped; Redis keeps those entries pending). */
  clear(): void {
    this.pending.length = 0;
  }

  private async attempt(p: Pending): Promise<void> {
    let outcome: 'handled' | 'dead-lettered' = 'handled';
    try {
      await this.handler(p.event);
    } catch (error) {
      outcome = 'dead-lettered';
      const { logger, deadLetter } = this.policy;
      if (p.attempt < this.maxAttempts) {
        logger?.warn('event handler failed; retrying later', { group: this.group, eventId: p.event.id, type: p.event.type, attempt: p.attempt, error });
        this.pending.push({ ...p, attempt: p.attempt + 1, due: Date.now() + this.backoff(p.attempt) });
        return;
      }
      try {
        if (deadLetter) await deadLetter(p.event, error, p.attempt);
        else logger?.error('event handler failed for the last time; the event is dropped', { group: this.group, eventId: p.event.id, type: p.event.type, attempts: p.attempt, error });
      } catch (storeError) {
        // Nowhere to put it: keep it and try the whole thing again later rather than lose it.
        logger?.error('could not dead-letter an event; keeping it', { group: this.group, eventId: p.event.id, error: storeError });
        this.pending.push({ ...p, due: Date.now() + this.backoff(p.attempt) });
        return;
      }
    }
    await p.settle(outcome);
  }
}

/** Where events go after the outbox. */
export interface EventBus {
  publish(events: DomainEvent[]): Promise<void>;
  /**
   * Delivers every event of `types` to `handler`, at least once, to one member of `group`
   * (each group sees every event), under `policy`: a failing event is retried with backoff
   * while the events behind it go on, then dead-lettered. Returns a function that stops
   * consuming. Services call this through `EventConsumer.consume` (consumer.ts), which
   * supplies the dead letters.
   */
  consume(group: string, types: readonly string[], handler: EventHandler, policy?: DeliveryPolicy): () => Promise<void>;
  /**
   * Whether the bus may have lost what the outbox `name` published before: true when the
   * marker `markHeld` left is gone (Redis came back empty, or the stream was deleted), and
   * on the first start against a bus. Buses that keep nothing (in-process) leave it out.
   */
  mayHaveLost?(name: string): Promise<boolean>;
  /** Leaves the marker `mayHaveLost` looks for, once the outbox's replay window is on the bus again. */
  markHeld?(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Thrown into a consumer's pending Redis calls when it stops, so stopping never waits on a Redis that does not answer. */
class ConsumerStopped extends Error {
  constructor() {
    super('consumer stopped');
  }
}

/** Resolves after `ms`, or as soon as `wake` is called. */
function sleeper() {
  let wake: () => void = () => {};
  return {
    sleep(ms: number) {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, ms));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
    wake: () => wake(),
  };
}

/**
 * Without Redis: an in-process bus. It only works when every service runs in this one
 * process (`npm start` without REDIS_URL), and it keeps nothing: a group only sees events
 * published after it started consuming. Its queue is taken in batches (what has arrived so
 * far), then the retries that are due, like the Redis bus's reads.
 */
export function inProcessBus(logger?: Logger): EventBus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    async publish(events) {
      for (const e of events) emitter.emit('event', e);
    },
    consume(group, types, handler, policy = {}) {
      const deliverer = new Deliverer(group, handler, { logger, ...policy });
      const batchSize = Math.max(1, policy.batchSize ?? DEFAULT_BATCH_SIZE);
      const queue: DomainEvent[] = [];
      const idle = sleeper();
      let stopped = false;
      let loop: Promise<void> | undefined;
      const reportLag = () => policy.onLag?.(queue.length + deliverer.waiting);
      const run = async () => {
        // Start on the next turn, so a publish of several events is one batch.
        await new Promise((r) => setImmediate(r));
        while (!stopped && (queue.length || deliverer.waiting)) {
          reportLag();
          await deliverer.offerBatch(queue.splice(0, batchSize).map((event) => ({ event })));
          await deliverer.runDue();
          reportLag();
          const next = deliverer.nextDue();
          if (!queue.length && next !== undefined) await idle.sleep(next - Date.now());
        }
        loop = undefined;
      };
      reportLag();
      const listener = (e: DomainEvent) => {
        if (!types.includes(e.type)) return;
        queue.push(e);
        idle.wake();
        loop ??= runDetached(run);
      };
      emitter.on('event', listener);
      return async () => {
        stopped = true;
        emitter.off('event', listener);
        idle.wake();
        await loop;
        deliverer.clear();
      };
    },
    async close() {
      emitter.removeAllListeners();
    },
  };
}

export const EVENT_STREAM = 'switchboard:events';

type StreamEntry = [string, string[]];

function eventOf(fields: string[]): DomainEvent | null {
  const f: Record<string, string> = {};
  for (let i = 0; i < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
  if (!f.type || !f.id) return null;
  return { id: f.id, type: f.type, tenantId: f.tenantId!, occurredAt: f.occurredAt!, data: JSON.parse(f.data ?? '{}'), ...(f.traceparent ? { traceparent: f.traceparent } : {}) };
}

/** Redis 7's XINFO GROUPS entry as ioredis returns it: a flat [name, value, …] list. */
function fieldsOf(reply: unknown[]): Record<string, unknown> {
  const f: Record<string, unknown> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) f[String(reply[i])] = reply[i + 1];
  return f;
}

const isNoGroup = (error: unknown) => /NOGROUP/.test((error as Error)?.message ?? '');

/** The consumer group that marks "this stream holds what outbox `name` published" (it never reads). */
export const outboxMarkerGroup = (name: string) => `outbox-marker:${name}`;

/**
 * Redis Streams: one stream for every domain event, a consumer group per consumer. At
 * start a consumer takes over entries another member took and never acknowledged (a crash)
 * once they have been idle for `claimIdleMs`, and reads its own pending entries; then new
 * ones. An entry is acknowledged once the handler succeeded or it was dead-lettered; while
 * a failed entry waits for its retry it stays pending and the consumer reads on.
 *
 * Recovery: when Redis answers NOGROUP (it came back empty, or the stream or group was
 * deleted) the consumer creates its group again from the start of the stream ('0'), so
 * nothing added since is skipped, logs it and tells `policy.onGroupRecreated`. What Redis
 * lost is published again by the outbox relays (`mayHaveLost`, see OutboxRelay).
 *
 * Lag (`policy.onLag`, every `lagEveryMs`): the group's pending entries (delivered, not yet
 * acknowledged) plus the entries not yet delivered to it (Redis 7's XINFO GROUPS `lag`; when
 * Redis cannot tell, the entries after the group's last delivered id, counted up to 10 000).
 *
 * Stopping never waits on Redis: every Redis call of a consumer is raced against its stop.
 */
export function redisStreamBus(
  redis: Redis,
  options: { consumerName?: string; blockMs?: number; stream?: string; logger?: Logger; claimIdleMs?: number; lagEveryMs?: number } = {},
): EventBus {
  const stream = options.stream ?? EVENT_STREAM;
  const consumerName = options.consumerName ?? `${process.pid}-${randomUUID().slice(0, 8)}`;
  const blockMs = options.blockMs ?? 1000;
  const claimIdleMs = options.claimIdleMs ?? 5 * 60_000;
  const lagEveryMs = options.lagEveryMs ?? 5_000;
  const stops = new Set<() => Promise<void>>();
  return {
    async publish(events) {
      if (!events.length) return;
      const pipeline = redis.pipeline();
      for (const e of events) {
        pipeline.xadd(stream, 'MAXLEN', '~', '1000000', '*', 'id', e.id, 'type', e.type, 'tenantId', e.tenantId, 'occurredAt', e.occurredAt, 'data', JSON.stringify(e.data), ...(e.traceparent ? ['traceparent', e.traceparent] : []));
      }
      const results = await pipeline.exec();
      const failed = results?.find(([err]) => err);
      if (failed) throw failed[0];
    },
    async mayHaveLost(name) {
      try {
        const groups = (await redis.xinfo('GROUPS', stream)) as unknown[][];
        return !groups.some((g) => fieldsOf(g).name === outboxMarkerGroup(name));
      } catch (error) {
        if (/no such key/i.test((error as Error).message)) return true;
        throw error;
      }
    },
    async markHeld(name) {
      await redis.xgroup('CREATE', stream, outboxMarkerGroup(name), '$', 'MKSTREAM').catch((e: Error) => {
        if (!/BUSYGROUP/.test(e.message)) throw e;
      });
    },
    consume(group, types, handler, policy = {}) {
      const logger = policy.logger ?? options.logger;
      const deliverer = new Deliverer(group, handler, { logger, ...policy });
      // A blocking read needs its own connection.
      const reader = redis.duplicate({ enableOfflineQueue: true, commandTimeout: undefined, maxRetriesPerRequest: null });
      reader.on('error', () => {});
      let stopped = false;
      let halt: () => void = () => {};
      const halted = new Promise<never>((_, reject) => {
        halt = () => reject(new ConsumerStopped());
      });
      halted.catch(() => {});
      /** A Redis call that gives up as soon as the consumer stops (an unreachable Redis never answers). */
      const guard = <T>(call: Promise<T>): Promise<T> => Promise.race([call, halted]);
      const pause = (ms: number) => guard(new Promise<void>((r) => setTimeout(r, ms).unref?.()));
      const batchSize = Math.max(1, policy.batchSize ?? DEFAULT_BATCH_SIZE);
      const inFlight = new Set<string>(); // entries taken and not yet acknowledged
      const take = async (entries: StreamEntry[]) => {
        const items: { event: DomainEvent; settle: () => Promise<void> }[] = [];
        const skipped: string[] = [];
        for (const [streamId, fields] of entries) {
          if (inFlight.has(streamId)) continue;
          const event = fields ? eventOf(fields) : null;
          if (!event || !types.includes(event.type)) {
            skipped.push(streamId);
            continue;
          }
          inFlight.add(streamId);
          items.push({
            event,
            settle: async () => {
              await guard(reader.xack(stream, group, streamId));
              inFlight.delete(streamId);
            },
          });
        }
        if (stopped) return;
        if (skipped.length) await guard(reader.xack(stream, group, ...skipped));
        await deliverer.offerBatch(items);
      };
      const claimAbandoned = async () => {
        let start = '0-0';
        do {
          const [next, entries] = (await guard(reader.xautoclaim(stream, group, consumerName, claimIdleMs, start, 'COUNT', batchSize))) as unknown as [string, StreamEntry[]];
          await take(entries.filter((e) => e && e[1]));
          start = next;
        } while (start !== '0-0' && !stopped);
      };
      const createGroup = () =>
        guard(reader.xgroup('CREATE', stream, group, '0', 'MKSTREAM')).catch((e: Error) => {
          if (!/BUSYGROUP/.test(e.message)) throw e;
        });
      const measureLag = async () => {
        const groups = (await guard(reader.xinfo('GROUPS', stream))) as unknown[][];
        const mine = groups.map(fieldsOf).find((g) => g.name === group);
        if (!mine) return;
        let undelivered = mine.lag as number | null | undefined;
        if (typeof undelivered !== 'number') {
          const after = (await guard(reader.xrange(stream, `(${String(mine['last-delivered-id'])}`, '+', 'COUNT', 10_000))) as unknown[];
          undelivered = after.length;
        }
        policy.onLag?.(Number(mine.pending ?? 0) + undelivered);
      };
      let cursor = '0'; // our own pending entries first, page by page
      const loop = (async () => {
        let ready = false;
        let lastClaim = 0;
        let lastLag = 0;
        while (!stopped) {
          try {
            if (!ready) {
              await createGroup();
              ready = true;
            }
            if (Date.now() - lastClaim >= claimIdleMs) {
              lastClaim = Date.now();
              await claimAbandoned();
            }
            if (Date.now() - lastLag >= lagEveryMs) {
              lastLag = Date.now();
              await measureLag();
            }
            const next = deliverer.nextDue();
            const wait = next === undefined ? blockMs : Math.max(0, Math.min(blockMs, next - Date.now()));
            const block = cursor === '0' || wait === 0 ? [] : ['BLOCK', Math.max(1, wait)];
            type Reply = [string, StreamEntry[]][] | null;
            const reply = (await guard(reader.xreadgroup('GROUP', group, consumerName, 'COUNT', batchSize, ...(block as ['BLOCK', number]), 'STREAMS', stream, cursor))) as unknown as Reply;
            const entries = reply?.[0]?.[1] ?? [];
            if (cursor !== '>') cursor = entries.length ? entries[entries.length - 1]![0] : '>';
            await take(entries);
            await deliverer.runDue();
          } catch (error) {
            if (stopped) break;
            if (isNoGroup(error)) {
              // Redis lost the group (came back empty, or the stream was deleted): start again
              // from the beginning of the stream, so nothing added since is skipped.
              try {
                await createGroup();
                cursor = '0';
                lastLag = 0;
                policy.onGroupRecreated?.();
                logger?.warn('event consumer group was missing; created it again from the start of the stream', { group, stream, consumer: consumerName });
                continue;
              } catch (createError) {
                if (stopped) break;
                logger?.warn('could not create the event consumer group again; retrying', { group, stream, error: createError });
              }
            } else {
              logger?.warn('event stream read failed; retrying', { group, stream, error });
            }
            await pause(500).catch(() => {});
          }
        }
      })();
      const stop = async () => {
        stops.delete(stop);
        stopped = true;
        halt();
        reader.disconnect();
        await loop.catch(() => {});
        deliverer.clear();
      };
      stops.add(stop);
      return stop;
    },
    async close() {
      await Promise.all([...stops].map((s) => s()));
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
 * An outbox the relay drains: hands up to `limit` unpublished events to `publish` and marks
 * them published once it resolved; answers how many it handed over. Two replicas never
 * hand over the same event at once. PostgreSQL's is `postgresOutbox`; the conversations
 * subgraph's MongoDB store has its own collection.
 */
export interface OutboxSource {
  relayBatch(publish: (events: DomainEvent[]) => Promise<void>, limit: number): Promise<number>;
  /** Names the outbox on the bus (its replay marker); replicas of one service share it. */
  readonly name?: string;
  /**
   * Hands every event published at or after `since` to `publish` again, `limit` at a time,
   * oldest first; answers how many. Rows stay in the outbox after publishing, so this is
   * the replay window a bus that lost its data is refilled from.
   */
  replay?(since: Date, publish: (events: DomainEvent[]) => Promise<void>, limit: number): Promise<number>;
}

/** The outbox table of one ORM's schema: rows claimed with FOR UPDATE SKIP LOCKED, marked in the same transaction. */
export function postgresOutbox(orm: MikroORM): OutboxSource {
  return {
    name: `postgres:${orm.config.get('schema')}`,
    async replay(since, publish, limit) {
      const schema = orm.config.get('schema');
      const conn = orm.em.getConnection();
      let after: { at: Date; id: string } | undefined;
      let total = 0;
      for (;;) {
        const rows = (await conn.execute(
          `select "id", "tenant_id", "type", "data", "occurred_at", "published_at" from "${schema}"."outbox"
            where "published_at" >= ?${after ? ` and ("published_at", "id") > (?, ?)` : ''}
            order by "published_at", "id" limit ${Number(limit)}`,
          after ? [since, after.at, after.id] : [since],
          'all',
        )) as unknown as { id: string; tenant_id: string; type: string; data: Record<string, unknown>; occurred_at: Date; published_at: Date }[];
        if (!rows.length) return total;
        await publish(rows.map((r) => ({ id: r.id, type: r.type, tenantId: r.tenant_id, data: r.data, occurredAt: new Date(r.occurred_at).toISOString() })));
        total += rows.length;
        const last = rows[rows.length - 1]!;
        after = { at: last.published_at, id: last.id };
        if (rows.length < limit) return total;
      }
    },
    async relayBatch(publish, limit) {
      const schema = orm.config.get('schema');
      return orm.em.fork().transactional(async (em) => {
        const conn = em.getConnection();
        const trx = em.getTransactionContext();
        const rows = (await conn.execute(
          `select "id", "tenant_id", "type", "data", "occurred_at" from "${schema}"."outbox" where "published_at" is null order by "occurred_at", "id" limit ${Number(limit)} for update skip locked`,
          [],
          'all',
          trx,
        )) as unknown as { id: string; tenant_id: string; type: string; data: Record<string, unknown>; occurred_at: Date }[];
        if (!rows.length) return 0;
        await publish(rows.map((r) => ({ id: r.id, type: r.type, tenantId: r.tenant_id, data: r.data, occurredAt: new Date(r.occurred_at).toISOString() })));
        await conn.execute(`update "${schema}"."outbox" set "published_at" = now() where "id" in (${rows.map(() => '?').join(', ')})`, rows.map((r) => r.id), 'run', trx);
        return rows.length;
      });
    },
  };
}

const publishedCounters = new WeakMap<object, Counter>();
const replayedCounters = new WeakMap<object, Counter>();

/** How far back a relay publishes again when the bus lost its data (default 1 hour). */
export const DEFAULT_REPLAY_WINDOW_MS = 60 * 60_000;

/**
 * Moves outbox rows to the bus: woken right after a commit that wrote events, and on a
 * timer for anything a crash left behind. A crash after publish and before the rows are
 * marked republishes them: at-least-once, which consumers absorb by event id.
 *
 * Replay: on the timer the relay asks the bus whether it may have lost what this outbox
 * published (`mayHaveLost`: Redis came back empty, or the stream was deleted). If so it
 * publishes again every event published within `replayWindowMs`, then leaves the marker
 * (`markHeld`). Consumers recreate their group from the start of the stream and skip what
 * they already applied by event id (`idempotent`), so what Redis lost is handled once.
 */
export class OutboxRelay {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  private readonly source: OutboxSource;
  private lastLossCheck = 0;
  readonly published: Counter;
  readonly replayed: Counter;

  constructor(
    source: MikroORM | OutboxSource,
    private readonly bus: EventBus,
    private readonly logger: Logger,
    metrics: Metrics,
    private readonly intervalMs = 1_000,
    private readonly replayWindowMs = DEFAULT_REPLAY_WINDOW_MS,
  ) {
    this.source = 'relayBatch' in source ? source : postgresOutbox(source);
    let counter = publishedCounters.get(metrics.registry);
    if (!counter) {
      counter = new Counter({ name: 'events_published_total', help: 'Domain events moved from the outbox to the bus', registers: [metrics.registry] });
      publishedCounters.set(metrics.registry, counter);
    }
    this.published = counter;
    let replayed = replayedCounters.get(metrics.registry);
    if (!replayed) {
      replayed = new Counter({ name: 'events_replayed_total', help: 'Published events handed to the bus again because it may have lost them (Redis came back empty)', registers: [metrics.registry] });
      replayedCounters.set(metrics.registry, replayed);
    }
    this.replayed = replayed;
  }

  /** Publishes the replay window again if the bus may have lost it (checked at most once per interval). */
  async replayIfLost(force = false): Promise<number> {
    const { bus, source } = this;
    if (!bus.mayHaveLost || !bus.markHeld || !source.replay || !source.name) return 0;
    if (!force && Date.now() - this.lastLossCheck < this.intervalMs) return 0;
    this.lastLossCheck = Date.now();
    if (!(await bus.mayHaveLost(source.name))) return 0;
    const since = new Date(Date.now() - this.replayWindowMs);
    const n = await source.replay(since, (events) => bus.publish(events), 100);
    await bus.markHeld(source.name);
    this.replayed.inc(n);
    if (n) this.logger.warn('event bus may have lost published events; published the replay window again', { outbox: source.name, events: n, since: since.toISOString() });
    return n;
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
    await this.replayIfLost();
    for (;;) {
      const moved = await this.source.relayBatch((events) => this.bus.publish(events.map(liftTraceparent)), 100);
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

/** The outbox and consumer bookkeeping, as an ORM plug-in (see `kitFeatures`). */
export const outboxFeature: OrmFeature = { name: 'outbox', entities: [OutboxEvent, ProcessedEvent] };

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
