import { EventEmitter } from 'node:events';
import { runDetached } from './context';
import type { Logger } from './logger';

/*
 * Domain events and the bus that carries them: the event's shape, the handler types, the
 * delivery policy every consumer shares (`Deliverer`: attempts, backoff, dead letters), the
 * `EventBus` interface and the in-process bus. The Redis Streams bus is redis-stream-bus.ts;
 * the outbox that feeds a bus from a service's transactions is events.ts.
 */

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
  /**
   * Events of one read handled at once, at most (default 1: one after the other). Events
   * with the same `orderKey` are still handled one after the other, in the order read; a
   * handler slow on one key (a model call for one conversation) no longer holds the others.
   */
  concurrency?: number;
  /** What must stay in order under `concurrency` (default: nothing — each event its own key). */
  orderKey?: (event: DomainEvent) => string | undefined;
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
   * for each: in turn, or with the policy's `concurrency` up to that many at once, one
   * `orderKey`'s events in turn.
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
    const concurrency = Math.max(1, Math.floor(this.policy.concurrency ?? 1));
    if (concurrency === 1 || items.length < 2) {
      for (const i of items) await this.offer(i.event, i.settle);
      return;
    }
    // One lane per order key, in the order read; `concurrency` workers take lanes in turn.
    const lanes = new Map<string, typeof items>();
    for (const item of items) {
      const key = this.policy.orderKey?.(item.event) ?? `\u0000${item.event.id}`;
      const lane = lanes.get(key);
      if (lane) lane.push(item);
      else lanes.set(key, [item]);
    }
    const queue = [...lanes.values()];
    const work = async () => {
      for (let lane = queue.shift(); lane; lane = queue.shift()) for (const i of lane) await this.offer(i.event, i.settle);
    };
    // Every lane runs to its end before the bus reads more; the first failure (a settle that could not reach the bus) is then thrown.
    const failed = (await Promise.allSettled(Array.from({ length: Math.min(concurrency, queue.length) }, work))).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
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
