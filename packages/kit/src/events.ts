import { Entity, Index, OptionalProps, PrimaryKey, Property, type EventSubscriber, type FlushEventArgs, type TransactionEventArgs } from '@mikro-orm/core';
import { Migration } from '@mikro-orm/migrations';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { Counter } from 'prom-client';
import { currentScope, runDetached } from './context';
import type { OrmFeature } from './db';
import { TRACEPARENT_KEY, liftTraceparent, type DomainEvent, type EventBus, type EventHandler } from './event-bus';
import { formatTraceparent } from './identity';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import { outgoingTraceContext } from './telemetry';
import { TENANT_FILTER } from './tenant-filter';

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

/** Starts the relay for a service's outbox and wakes it after every flush that wrote events. */
export function startOutboxRelay(orm: MikroORM, bus: EventBus, logger: Logger, metrics: Metrics): OutboxRelay {
  const relay = new OutboxRelay(orm, bus, logger, metrics);
  orm.em.getEventManager().registerSubscriber(relay.subscriber());
  return relay.start();
}
