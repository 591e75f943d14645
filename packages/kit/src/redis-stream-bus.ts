import { randomUUID } from 'node:crypto';
import { DEFAULT_BATCH_SIZE, Deliverer, inProcessBus, type DomainEvent, type EventBus } from './event-bus';
import type { Logger } from './logger';
import type { Redis } from './redis';

/* The event bus on Redis Streams (consumer groups, pending entries, reclaiming), and `busFor`. */

/** Thrown into a consumer's pending Redis calls when it stops, so stopping never waits on a Redis that does not answer. */
class ConsumerStopped extends Error {
  constructor() {
    super('consumer stopped');
  }
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

/** The bus a service uses: Redis Streams with REDIS_URL, else in-process (one process only). */
export function busFor(redis: Redis | undefined, stream: string, logger?: Logger): EventBus {
  return redis ? redisStreamBus(redis, { stream, logger }) : inProcessBus(logger);
}
