import type { MikroORM } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import {
  Migration00000000000000AuditLog,
  Migration00000000000001Events,
  OutboxEvent,
  createLogger,
  createMetrics,
  createOrm,
  createRedis,
  emitEvent,
  idempotent,
  inProcessBus,
  redisReady,
  redisStreamBus,
  startOutboxRelay,
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
    migrations: [
      { name: 'Migration00000000000000AuditLog', class: Migration00000000000000AuditLog },
      { name: 'Migration00000000000001Events', class: Migration00000000000001Events },
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
      await until(() => applied.filter((id) => id === a.id).length, (n) => n >= 2);
      await until(() => applied.filter((id) => id === b.id).length, (n) => n >= 1);
      const marks = await orm.em.getConnection().execute(`select event_id from "${db.schemaPrefix}events"."processed_event" where consumer = ?`, [consumer]);
      expect(marks.map((m) => m.event_id as string).sort()).toEqual([a.id, b.id].sort());
      expect(applied.filter((id) => id === b.id)).toHaveLength(1);
      expect(crashes).toBe(1);
    } finally {
      await stop();
      await redis.del(stream);
      redis.disconnect();
    }
  });
});
