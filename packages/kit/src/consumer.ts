import type { MikroORM } from '@mikro-orm/postgresql';
import { Counter, Gauge, type Registry } from 'prom-client';
import { runDetached } from './context';
import { DeadLetterStore, type DeadLetter } from './dead-letters';
import { Deliverer, type BatchHandler, type ConsumeOptions, type DeliveryPolicy, type EventBus, type EventHandler } from './event-bus';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import { withEventBatchSpan, withEventSpan } from './telemetry';

/** How a service consumes events: the one delivery policy, with its dead letters. */
export interface EventConsumer {
  /**
   * Delivers every event of `types` to `handler`, at least once, to one member of `group`:
   * a failing event is retried with backoff (`maxAttempts`, `backoff`) while the events
   * behind it go on; after the last attempt it goes to the dead letters with its error
   * (`events_dead_lettered_total{group}`) and the group moves on. Dead letters whose redrive
   * was requested (`npm run events:redrive`, or `redrive`) are delivered again under the
   * same policy. Returns a function that stops consuming.
   */
  consume(group: string, types: readonly string[], handler: EventHandler, options?: ConsumeOptions): () => Promise<void>;
  /**
   * Like `consume`, but `handler` gets what the bus read at once (up to `options.batchSize`
   * events, default 100) in one call, e.g. to apply them in one transaction. It must be
   * all-or-nothing: when it throws, the batch's events are delivered again one at a time
   * (`handler([event])`), with the retries and dead letters of `consume`, so a poison event
   * is set aside alone. Redriven dead letters come one at a time too.
   */
  consumeBatch(group: string, types: readonly string[], handler: BatchHandler, options?: ConsumeOptions): () => Promise<void>;
  /** Dead letters of a group, oldest first. */
  deadLetters(group: string): Promise<DeadLetter[]>;
  /** Requests a redrive of the group's dead letters (all, or the given event ids) and wakes its consumers here; answers how many. */
  redrive(group: string, eventIds?: readonly string[]): Promise<number>;
}

const counters = new WeakMap<Registry, Counter<'group'>>();

function deadLetteredCounter(metrics?: Metrics): Counter<'group'> | undefined {
  if (!metrics) return undefined;
  let counter = counters.get(metrics.registry);
  if (!counter) {
    counter = new Counter({ name: 'events_dead_lettered_total', help: 'Events a consumer group gave up on after its last attempt', labelNames: ['group'], registers: [metrics.registry] });
    counters.set(metrics.registry, counter);
  }
  return counter;
}

const lagGauges = new WeakMap<Registry, Gauge<'group'>>();
const recreatedCounters = new WeakMap<Registry, Counter<'group'>>();

/**
 * `event_consumer_lag{group}`: events the group has not finished with — on Redis, its
 * pending entries (delivered, not acknowledged) plus the entries not yet delivered to it;
 * in-process, its queue plus the events waiting for a retry. A lag that only grows is a
 * stuck consumer. `event_consumer_group_recreated_total{group}`: times Redis had lost the
 * group and the consumer created it again.
 */
function consumerMetrics(metrics?: Metrics): { lag: Gauge<'group'>; recreated: Counter<'group'> } | undefined {
  if (!metrics) return undefined;
  let lag = lagGauges.get(metrics.registry);
  if (!lag) {
    lag = new Gauge({ name: 'event_consumer_lag', help: 'Events a consumer group has not finished with: pending plus not yet delivered', labelNames: ['group'], registers: [metrics.registry] });
    lagGauges.set(metrics.registry, lag);
  }
  let recreated = recreatedCounters.get(metrics.registry);
  if (!recreated) {
    recreated = new Counter({ name: 'event_consumer_group_recreated_total', help: 'Times a consumer found its group gone (Redis lost its data) and created it again from the start of the stream', labelNames: ['group'], registers: [metrics.registry] });
    recreatedCounters.set(metrics.registry, recreated);
  }
  return { lag, recreated };
}

export interface EventConsumerOptions {
  bus: EventBus;
  /** The service's ORM: its schema holds the dead-letter table. */
  orm: MikroORM;
  metrics?: Metrics;
  logger?: Logger;
  /** How often a consumer looks for redrive requests (default 5 s). */
  redrivePollMs?: number;
}

export function eventConsumer(options: EventConsumerOptions): EventConsumer {
  const store = new DeadLetterStore(options.orm);
  const dead = deadLetteredCounter(options.metrics);
  const observed = consumerMetrics(options.metrics);
  const wakers = new Map<string, Set<() => void>>();
  const pollMs = options.redrivePollMs ?? 5_000;
  const start = (group: string, types: readonly string[], rawHandler: EventHandler, rawBatch: BatchHandler | undefined, consumeOptions: ConsumeOptions) => {
      // Every attempt in a consumer span continuing the emitting request's trace.
      const handler: EventHandler = (event) => withEventSpan(group, event, () => rawHandler(event));
      const batchHandler: BatchHandler | undefined = rawBatch && ((events) => withEventBatchSpan(group, events, () => rawBatch(events)));
      const policy: DeliveryPolicy = {
        ...consumeOptions,
        batchHandler,
        logger: options.logger,
        onLag: (lag) => observed?.lag.set({ group }, lag),
        onGroupRecreated: () => observed?.recreated.inc({ group }),
        deadLetter: async (event, error, attempts) => {
          await store.put(group, event, error, attempts);
          dead?.inc({ group });
          options.logger?.error('event dead-lettered', { group, eventId: event.id, type: event.type, attempts, error });
        },
      };
      observed?.lag.set({ group }, 0);
      observed?.recreated.inc({ group }, 0);
      const stopBus = options.bus.consume(group, types, handler, policy);
      // Redriven dead letters: claimed from the table, delivered under the same policy.
      const redriven = new Deliverer(group, handler, policy);
      let stopped = false;
      let wake: () => void = () => {};
      const wakeSet = wakers.get(group) ?? new Set();
      wakers.set(group, wakeSet);
      const waker = () => wake();
      wakeSet.add(waker);
      const loop = runDetached(async () => {
        while (!stopped) {
          try {
            for (const event of await store.claimRedrives(group)) {
              if (!types.includes(event.type)) continue;
              await redriven.offer(event, async (outcome) => {
                // Dead-lettered again: `put` has already reset the row with the new error.
                if (outcome === 'handled') await store.remove(group, event.id);
              });
            }
            await redriven.runDue();
          } catch (error) {
            if (!stopped) options.logger?.warn('redrive pass failed', { group, error });
          }
          const next = redriven.nextDue();
          const wait = next === undefined ? pollMs : Math.min(pollMs, Math.max(0, next - Date.now()));
          if (stopped) break;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, wait);
            timer.unref?.();
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
      });
      return async () => {
        stopped = true;
        wakeSet.delete(waker);
        wake();
        await stopBus();
        await loop;
        redriven.clear();
      };
  };
  return {
    consume: (group, types, handler, consumeOptions = {}) => start(group, types, handler, undefined, consumeOptions),
    consumeBatch: (group, types, handler, consumeOptions = {}) => start(group, types, (event) => handler([event]), handler, consumeOptions),
    deadLetters: (group) => store.list(group),
    async redrive(group, eventIds) {
      const n = await store.requestRedrive(group, eventIds);
      for (const w of wakers.get(group) ?? []) w();
      return n;
    },
  };
}
