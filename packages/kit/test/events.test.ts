import type { MikroORM } from '@mikro-orm/postgresql';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  Migration00000000000000AuditLog,
  Migration00000000000001Events,
  Migration00000000000002DeadLetters,
  OutboxEvent,
  createLogger,
  createMetrics,
  createOrm,
  createRedis,
  emitEvent,
  eventConsumer,
  idempotent,
  inProcessBus,
  kitFeatures,
  redisReady,
  redisStreamBus,
  startOutboxRelay,
  OutboxRelay,
  type DomainEvent,
  type EventBus,
} from '../src';
import { testDatabase } from '../src/testing';

const db = testDatabase();
const silent = createLogger({}, 'silent');
let orm: MikroORM;
const tenantId = randomUUID();

beforeAll(async () => {
  orm = await createOrm({
    subgraph: 'events',
    databaseUrl: db.url,
    schemaPrefix: db.schemaPrefix,
    entities: [],
    features: kitFeatures,
    migrations: [
      { name: 'Migration00000000000000AuditLog', class: Migration00000000000000AuditLog },
      { name: 'Migration00000000000001Events', class: Migration00000000000001Events },
      { name: 'Migration00000000000002DeadLetters', class: Migration00000000000002DeadLetters },
    ],
  });
});
afterAll(async () => {
  await orm.close();
  await db.drop();
});

async function until<T>(fn: () => T | Promise<T>, ok: (v: T) => boolean, tries = 200): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition never held');
}

describe('the outbox', () => {
  it('publishes what a committed transaction wrote, and nothing from a rolled-back one', async () => {
    const bus = inProcessBus();
    const seen: DomainEvent[] = [];
    const stop = bus.consume('test', ['thing.done'], async (e) => void seen.push(e));
    const relay = startOutboxRelay(orm, bus, silent, createMetrics('events-test'));
    try {
      await orm.em.fork().transactional(async (em) => {
        emitEvent(em, 'thing.done', tenantId, { n: 1 });
      });
      await expect(
        orm.em.fork().transactional(async (em) => {
          emitEvent(em, 'thing.done', tenantId, { n: 2 });
          await em.flush();
          throw new Error('the change failed');
        }),
      ).rejects.toThrow('the change failed');
      await until(() => seen.length, (n) => n >= 1);
      await relay.drain();
      expect(seen.map((e) => e.data)).toEqual([{ n: 1 }]);
      expect(seen[0]).toMatchObject({ type: 'thing.done', tenantId });
      const left = await orm.em.fork().count(OutboxEvent, { publishedAt: null });
      expect(left).toBe(0);
    } finally {
      await relay.stop();
      await stop();
    }
  });

  it('leaves rows in place when the bus is down, and publishes them once it is back', async () => {
    let up = false;
    const published: DomainEvent[] = [];
    const flaky: EventBus = {
      async publish(events) {
        if (!up) throw new Error('bus down');
        published.push(...events);
      },
      consume: () => async () => {},
      close: async () => {},
    };
    const relay = startOutboxRelay(orm, flaky, silent, createMetrics('events-test-2'));
    try {
      const em = orm.em.fork();
      emitEvent(em, 'thing.kept', tenantId, { k: 1 });
      await em.flush();
      await relay.drain().catch(() => {});
      expect(await orm.em.fork().count(OutboxEvent, { type: 'thing.kept', publishedAt: null })).toBe(1);
      up = true;
      await relay.drain();
      expect(published.filter((e) => e.type === 'thing.kept')).toHaveLength(1);
    } finally {
      await relay.stop();
    }
  });
});

const redisUrl = process.env.REDIS_URL;
const describeRedis = redisUrl ? describe : describe.skip;
if (!redisUrl) console.log('Redis Streams tests skipped: REDIS_URL is not set');

describeRedis('Redis Streams bus', () => {
  it('redelivers an event whose consumer crashed mid-way, and it is applied once', async () => {
    const redis = createRedis(redisUrl!);
    expect(await redisReady(redis)).toBe(true);
    const stream = `test:events:${randomUUID()}`;
    const bus = redisStreamBus(redis, { stream, blockMs: 100 });
    const applied: string[] = [];
    let crashes = 0;
    const consumer = 'kit-test';
    const handler = idempotent(orm, consumer, async (_em, event) => {
      applied.push(event.id);
      if (event.data.crash && crashes === 0) {
        crashes++;
        throw new Error('crashed half-way'); // rolls back the applied mark with everything else
      }
    });
    const stop = bus.consume('g1', ['thing.done'], handler);
    try {
      const a = { id: randomUUID(), type: 'thing.done', tenantId, occurredAt: new Date().toISOString(), data: { crash: true } };
      const b = { id: randomUUID(), type: 'thing.done', tenantId, occurredAt: new Date().toISOString(), data: {} };
      await bus.publish([a, b, b]); // b twice: at-least-once delivery
      const marksOf = () => orm.em.getConnection().execute(`select event_id from "${db.schemaPrefix}events"."processed_event" where consumer = ?`, [consumer]);
      // The handler's second attempt at `a` commits its mark (the first rolled back).
      const marks = await until(marksOf, (m) => m.length >= 2);
      expect(marks.map((m) => m.event_id as string).sort()).toEqual([a.id, b.id].sort());
      expect(applied.filter((id) => id === b.id)).toHaveLength(1);
      expect(crashes).toBe(1);
    } finally {
      await stop();
      await redis.del(stream);
      redis.disconnect();
    }
  });

  it('takes over an entry a crashed consumer took and never acknowledged, once it has been idle long enough', async () => {
    const redis = createRedis(redisUrl!);
    expect(await redisReady(redis)).toBe(true);
    const stream = `test:events:${randomUUID()}`;
    const e = { id: randomUUID(), type: 'thing.done', tenantId, occurredAt: new Date().toISOString(), data: {} };
    const seenByA: string[] = [];
    const seenByB: string[] = [];
    // A takes the entry and fails; its retry is far off when it "crashes" (stops), so the entry stays pending on A.
    const a = redisStreamBus(redis, { stream, blockMs: 50, consumerName: 'a' });
    await a.publish([e]);
    const stopA = a.consume('g-claim', ['thing.done'], async (ev) => {
      seenByA.push(ev.id);
      throw new Error('crashing');
    }, { maxAttempts: 5, backoff: () => 3_600_000 });
    try {
      await until(() => seenByA.length, (n) => n === 1);
      await stopA();
      const b = redisStreamBus(redis, { stream, blockMs: 50, consumerName: 'b', claimIdleMs: 100 });
      const stopB = b.consume('g-claim', ['thing.done'], async (ev) => void seenByB.push(ev.id));
      try {
        await until(() => seenByB.length, (n) => n === 1);
        expect(seenByB).toEqual([e.id]);
        await until(async () => ((await redis.xpending(stream, 'g-claim')) as [number])[0], (n) => n === 0);
      } finally {
        await stopB();
      }
    } finally {
      await redis.del(stream);
      redis.disconnect();
    }
  });
});

describeRedis('Redis Streams bus after Redis lost its data', () => {
  it('recreates a running consumer group from the start of the stream, says so, and handles the events after and the lost window once', async () => {
    const redis = createRedis(redisUrl!);
    expect(await redisReady(redis)).toBe(true);
    const stream = `test:events:${randomUUID()}`;
    const type = `thing.recovered-${randomUUID().slice(0, 8)}`;
    const lines: string[] = [];
    const logger = createLogger({ service: 'events-test' }, 'info', (line) => lines.push(line));
    const metrics = createMetrics('events-recovery');
    const bus = redisStreamBus(redis, { stream, blockMs: 50, lagEveryMs: 50 });
    const relay = new OutboxRelay(orm, bus, logger, metrics, 100);
    orm.em.getEventManager().registerSubscriber(relay.subscriber());
    relay.start();
    const consumer = eventConsumer({ bus, orm, metrics, logger, redrivePollMs: 60_000 });
    const applied: Record<string, string[]> = { live: [], late: [] };
    const handlerFor = (group: string) => idempotent(orm, `${group}-${stream}`, async (_em, e) => void applied[group]!.push(e.data.name as string));
    const emit = async (name: string) => {
      const em = orm.em.fork();
      const row = emitEvent(em, type, tenantId, { name });
      await em.flush();
      await until(() => orm.em.fork().findOne(OutboxEvent, { id: row.id }), (r) => !!r?.publishedAt);
    };
    const stopLive = consumer.consume('live', [type], handlerFor('live'));
    let stopLate = consumer.consume('late', [type], handlerFor('late'));
    try {
      await emit('a');
      await until(() => applied.live.length + applied.late.length, (n) => n === 2);

      // "late" is down (its process stopped) when b is published, and Redis then loses the stream.
      await stopLate();
      await emit('b');
      await until(() => applied.live, (l) => l.includes('b'));
      await redis.del(stream);

      // The running consumer finds its group gone, creates it again, and goes on by itself.
      await emit('c');
      await until(() => applied.live, (l) => l.includes('c'));
      const recreated = await metrics.registry.getSingleMetric('event_consumer_group_recreated_total')!.get();
      expect(recreated.values.find((v) => v.labels.group === 'live')?.value).toBeGreaterThanOrEqual(1);
      const said = lines.map((l) => JSON.parse(l) as { level: string; msg: string; group?: string }).filter((l) => /group was missing/.test(l.msg));
      expect(said[0]).toMatchObject({ level: 'warn', group: 'live' });

      // "late" comes back: b, published before the loss and never handled by it, is not dropped.
      stopLate = consumer.consume('late', [type], handlerFor('late'));
      await until(() => applied.late, (l) => l.includes('b') && l.includes('c'));
      await until(async () => (await metrics.registry.getSingleMetric('event_consumer_lag')!.get()).values.find((v) => v.labels.group === 'late')?.value, (v) => v === 0);
      // The replay reached both groups; each applied every event once.
      expect(applied.live.sort()).toEqual(['a', 'b', 'c']);
      expect(applied.late.sort()).toEqual(['a', 'b', 'c']);
      expect((await metrics.registry.getSingleMetric('events_replayed_total')!.get()).values[0]!.value).toBeGreaterThanOrEqual(2);
    } finally {
      await stopLive();
      await stopLate();
      await relay.stop();
      await bus.close();
      await redis.del(stream);
      redis.disconnect();
    }
  });

  it('reports a stuck group as lag: pending plus undelivered entries', async () => {
    const redis = createRedis(redisUrl!);
    await redisReady(redis);
    const stream = `test:events:${randomUUID()}`;
    const metrics = createMetrics('events-lag');
    const bus = redisStreamBus(redis, { stream, blockMs: 50, lagEveryMs: 20 });
    const consumer = eventConsumer({ bus, orm, metrics, logger: silent, redrivePollMs: 60_000 });
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const stop = consumer.consume('stuck', ['thing.done'], async () => gate);
    const lagOf = async () => (await metrics.registry.getSingleMetric('event_consumer_lag')!.get()).values.find((v) => v.labels.group === 'stuck')?.value;
    try {
      await bus.publish([0, 1, 2].map(() => ({ id: randomUUID(), type: 'thing.done', tenantId, occurredAt: new Date().toISOString(), data: {} })));
      // The three are taken in one read and wait on the first: three pending, none undelivered.
      expect(await until(lagOf, (v) => v === 3)).toBe(3);
      release();
      await until(lagOf, (v) => v === 0);
    } finally {
      release();
      await stop();
      await redis.del(stream);
      redis.disconnect();
    }
  });
});

describe('stopping a Redis consumer while Redis is unreachable', () => {
  it('resolves before a 3 s timer: no wait on a Redis read that never answers', async () => {
    // A port nothing listens on: every command waits in the reader's offline queue.
    const redis = createRedis('redis://127.0.0.1:1');
    const bus = redisStreamBus(redis, { stream: `test:events:${randomUUID()}`, blockMs: 50 });
    const consumer = eventConsumer({ bus, orm, logger: silent, redrivePollMs: 60_000 });
    const stop = consumer.consume('unreachable', ['thing.done'], async () => {});
    await new Promise((r) => setTimeout(r, 200)); // the consumer is waiting on Redis by now
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      stop().then(() => bus.close()).then(() => 'stopped'),
      new Promise<string>((r) => (timer = setTimeout(() => r('still waiting'), 3_000))),
    ]);
    clearTimeout(timer);
    redis.disconnect();
    expect(outcome).toBe('stopped');
  });
});

const event = (type: string, data: Record<string, unknown> = {}): DomainEvent => ({ id: randomUUID(), type, tenantId, occurredAt: new Date().toISOString(), data });

type BusUnderTest = { bus: EventBus; publishBeforeConsume: boolean; cleanup(): Promise<void> };
const buses: [string, () => Promise<BusUnderTest>][] = [
  ['in-process', async () => ({ bus: inProcessBus(), publishBeforeConsume: false, cleanup: async () => {} })],
];
if (redisUrl) {
  buses.push([
    'Redis Streams',
    async () => {
      const redis = createRedis(redisUrl);
      await redisReady(redis);
      const stream = `test:events:${randomUUID()}`;
      // Published before the group exists, the three events are one read (the group starts at 0).
      return {
        bus: redisStreamBus(redis, { stream, blockMs: 50 }),
        publishBeforeConsume: true,
        async cleanup() {
          await redis.del(stream);
          redis.disconnect();
        },
      };
    },
  ]);
}

describe.each(buses)('the delivery policy on the %s bus', (busName, make) => {
  it('retries a poison event aside while the events behind it go on, dead-letters it with its error, moves on, and redrive delivers it again', async () => {
    const { bus, publishBeforeConsume, cleanup } = await make();
    const metrics = createMetrics(`dead-letters-${busName}`);
    const consumer = eventConsumer({ bus, orm, metrics, logger: silent, redrivePollMs: 60_000 });
    const group = `test.poison-${randomUUID().slice(0, 8)}`;
    const poison = event('thing.done', { name: 'poison' });
    const a = event('thing.done', { name: 'a' });
    const b = event('thing.done', { name: 'b' });
    const c = event('thing.done', { name: 'c' });
    const log: string[] = [];
    const deadWhenHandled: Record<string, number> = {};
    let healed = false;
    const handler = async (e: DomainEvent) => {
      const name = e.data.name as string;
      log.push(name);
      if (e.id === poison.id && !healed) throw new Error('cannot parse the payload');
      deadWhenHandled[name] = (await consumer.deadLetters(group)).length;
    };
    if (publishBeforeConsume) await bus.publish([poison, a, b]);
    const stop = consumer.consume(group, ['thing.done'], handler, { maxAttempts: 3, backoff: () => 1 });
    try {
      if (!publishBeforeConsume) await bus.publish([poison, a, b]);
      const [dead] = await until(() => consumer.deadLetters(group), (d) => d.length === 1);
      // a and b were handled before the poison event's second attempt, and before it was dead.
      expect(log).toEqual(['poison', 'a', 'b', 'poison', 'poison']);
      expect(deadWhenHandled).toEqual({ a: 0, b: 0 });
      expect(dead).toMatchObject({ group, event: { id: poison.id, type: 'thing.done', tenantId, data: { name: 'poison' } }, error: 'Error: cannot parse the payload', attempts: 3 });
      const counter = await metrics.registry.getSingleMetric('events_dead_lettered_total')!.get();
      expect(counter.values).toEqual([expect.objectContaining({ labels: { group }, value: 1 })]);

      // The group moved on: a later event is delivered as usual.
      await bus.publish([c]);
      await until(() => log, (l) => l.includes('c'));
      expect(log.filter((n) => n === 'poison')).toHaveLength(3);

      // Fixed: redrive delivers it again, once, and it leaves the dead letters.
      healed = true;
      expect(await consumer.redrive(group)).toBe(1);
      await until(() => consumer.deadLetters(group), (d) => d.length === 0);
      expect(log.filter((n) => n === 'poison')).toHaveLength(4);
      expect(deadWhenHandled.poison).toBe(1); // still listed while its redrive ran
      expect(await consumer.redrive(group)).toBe(0);
    } finally {
      await stop();
      await bus.close();
      await cleanup();
    }
  });

  it('consumeBatch hands over what was read at once in one call, skips other types, and splits a failed batch so only the poison event is retried and dead-lettered', async () => {
    const { bus, publishBeforeConsume, cleanup } = await make();
    const consumer = eventConsumer({ bus, orm, logger: silent, redrivePollMs: 60_000 });
    const group = `test.batch-${randomUUID().slice(0, 8)}`;
    const poison = event('thing.done', { name: 'poison' });
    const events = [event('thing.done', { name: 'a' }), event('other.thing', { name: 'skip' }), poison, event('thing.done', { name: 'b' })];
    const calls: string[][] = [];
    const handled: string[] = [];
    const handler = async (batch: DomainEvent[]) => {
      calls.push(batch.map((e) => e.data.name as string));
      if (batch.some((e) => e.id === poison.id)) throw new Error('cannot parse the payload');
      handled.push(...batch.map((e) => e.data.name as string));
    };
    if (publishBeforeConsume) await bus.publish(events);
    const stop = consumer.consumeBatch(group, ['thing.done'], handler, { maxAttempts: 2, backoff: () => 1, batchSize: 10 });
    try {
      if (!publishBeforeConsume) await bus.publish(events);
      await until(() => consumer.deadLetters(group), (d) => d.length === 1);
      // The batch failed as a whole, then each event went alone: a and b once, the poison event twice.
      expect(calls).toEqual([['a', 'poison', 'b'], ['a'], ['poison'], ['b'], ['poison']]);
      expect(handled).toEqual(['a', 'b']);
      expect((await consumer.deadLetters(group))[0]).toMatchObject({ event: { id: poison.id }, attempts: 2 });
      // The group moved on: later events come as a batch again.
      const later = [event('thing.done', { name: 'c' })];
      await bus.publish(later);
      await until(() => handled, (h) => h.includes('c'));
    } finally {
      await stop();
      await bus.close();
      await cleanup();
    }
  });

  it('reads at most batchSize events per batch', async () => {
    const { bus, publishBeforeConsume, cleanup } = await make();
    const consumer = eventConsumer({ bus, orm, logger: silent, redrivePollMs: 60_000 });
    const group = `test.size-${randomUUID().slice(0, 8)}`;
    const events = Array.from({ length: 7 }, (_, i) => event('thing.done', { i }));
    const sizes: number[] = [];
    const seen = new Set<string>();
    if (publishBeforeConsume) await bus.publish(events);
    const stop = consumer.consumeBatch(group, ['thing.done'], async (batch) => {
      sizes.push(batch.length);
      for (const e of batch) seen.add(e.id);
    }, { batchSize: 3 });
    try {
      if (!publishBeforeConsume) await bus.publish(events);
      await until(() => seen.size, (n) => n === 7);
      expect(sizes).toEqual([3, 3, 1]);
    } finally {
      await stop();
      await bus.close();
      await cleanup();
    }
  });

  it('handles up to `concurrency` events of a read at once, and the events of one order key one after another, in order', async () => {
    const { bus, publishBeforeConsume, cleanup } = await make();
    const consumer = eventConsumer({ bus, orm, logger: silent, redrivePollMs: 60_000 });
    const events = ['a1', 'a2', 'b1', 'a3', 'c1', 'd1', 'e1'].map((name) => event('thing.done', { name, key: name[0] }));
    const run = async (options: { concurrency?: number; orderKey?: (e: DomainEvent) => string | undefined }) => {
      let running = 0;
      let most = 0;
      const started: string[] = [];
      const overlapped = new Set<string>();
      const busy = new Set<string>();
      const stop = consumer.consume(`test.lanes-${randomUUID().slice(0, 8)}`, ['thing.done'], async (e) => {
        const { name, key } = e.data as { name: string; key: string };
        if (busy.has(key)) overlapped.add(key);
        busy.add(key);
        started.push(name);
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 40));
        running--;
        busy.delete(key);
      }, options);
      try {
        if (!publishBeforeConsume) await bus.publish(events);
        await until(() => started.length, (n) => n === events.length);
        await until(() => running, (n) => n === 0);
      } finally {
        await stop();
      }
      return { most, overlapped: [...overlapped], order: started.filter((n) => n.startsWith('a')) };
    };
    try {
      if (publishBeforeConsume) await bus.publish(events);
      const lanes = await run({ concurrency: 3, orderKey: (e) => (e.data as { key: string }).key });
      expect(lanes.most).toBe(3);
      expect(lanes.overlapped).toEqual([]);
      expect(lanes.order).toEqual(['a1', 'a2', 'a3']);
      // The default: one after the other (a new group on the Redis bus reads the same events from the start).
      expect((await run({})).most).toBe(1);
    } finally {
      await bus.close();
      await cleanup();
    }
  });

  it('dead-letters a redriven event again when it still fails, with the new error and the attempts added up', async () => {
    const { bus, publishBeforeConsume, cleanup } = await make();
    const consumer = eventConsumer({ bus, orm, logger: silent, redrivePollMs: 60_000 });
    const group = `test.again-${randomUUID().slice(0, 8)}`;
    const poison = event('thing.done', { name: 'poison' });
    let calls = 0;
    const handler = async () => {
      calls++;
      throw new Error(`failure ${calls}`);
    };
    if (publishBeforeConsume) await bus.publish([poison]);
    const stop = consumer.consume(group, ['thing.done'], handler, { maxAttempts: 2, backoff: () => 1 });
    try {
      if (!publishBeforeConsume) await bus.publish([poison]);
      await until(() => consumer.deadLetters(group), (d) => d.length === 1);
      expect(await consumer.redrive(group)).toBe(1);
      const [dead] = await until(() => consumer.deadLetters(group), (d) => d.length === 1 && d[0]!.attempts === 4);
      expect(dead).toMatchObject({ error: 'Error: failure 4', redriveRequestedAt: null });
      expect(calls).toBe(4);
    } finally {
      await stop();
      await bus.close();
      await cleanup();
    }
  });
});

describe('npm run events:redrive', () => {
  it('queues a group’s dead letters, and the running consumer delivers them again', async () => {
    const bus = inProcessBus();
    const consumer = eventConsumer({ bus, orm, logger: silent, redrivePollMs: 50 });
    const group = `test.cli-${randomUUID().slice(0, 8)}`;
    const e = event('thing.done', { name: 'cli' });
    let healed = false;
    const handled: string[] = [];
    const stop = consumer.consume(group, ['thing.done'], async (ev) => {
      if (!healed) throw new Error('not yet');
      handled.push(ev.id);
    }, { maxAttempts: 1 });
    try {
      await bus.publish([e]);
      await until(() => consumer.deadLetters(group), (d) => d.length === 1);
      healed = true;
      const root = path.resolve(__dirname, '../../..');
      const run = (...args: string[]) =>
        promisify(execFile)(process.execPath, ['-r', './scripts/register.cjs', 'packages/kit/src/redrive-cli.ts', ...args], {
          cwd: root,
          env: { ...process.env, DATABASE_URL: db.url, DB_SCHEMA_PREFIX: db.schemaPrefix },
        });
      const listed = await run('--group', group, '--list');
      expect(listed.stdout).toContain(e.id);
      expect(listed.stdout).toContain('Error: not yet');
      const queued = await run('--group', group);
      expect(queued.stdout).toContain('1 dead letter(s) queued');
      await until(() => handled, (h) => h.length === 1);
      expect(handled).toEqual([e.id]);
      await until(() => consumer.deadLetters(group), (d) => d.length === 0);
    } finally {
      await stop();
    }
  });
});
