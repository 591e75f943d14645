import type { MikroORM } from '@mikro-orm/postgresql';
import type { BaseContext } from '@apollo/server';
import type { Express } from 'express';
import { EntityCache } from './cache';
import type { Config } from './config';
import type { commonEnv } from './config';
import { createOrm, requestEntityManager, type EntityManager, type MigrationEntry } from './db';
import { eventConsumer, type EventConsumer } from './consumer';
import type { EventBus } from './event-bus';
import { startOutboxRelay, type OutboxRelay } from './events';
import { busFor } from './redis-stream-bus';
import { kitFeatures } from './orm-features';
import type { SubgraphSchema } from './federation';
import type { Identity } from './identity';
import { createLogger, type Logger } from './logger';
import { createMetrics, type Metrics } from './metrics';
import { createRedis, redisReady, type Redis } from './redis';
import { createSubgraphServer, type RunningServer } from './server';
import { startTelemetry } from './telemetry';

/** What a subgraph's parts share: built once at start, handed to its context and routes. */
export interface SubgraphRuntime {
  log: Logger;
  metrics: Metrics;
  redis?: Redis;
  cache: EntityCache;
  bus: EventBus;
  /** Consume events through this (the delivery policy and dead letters), not `bus.consume`. */
  events: EventConsumer;
  orm: MikroORM;
  relay: OutboxRelay;
}

export interface SubgraphDeps {
  logger?: Logger;
  /** The event bus; by default Redis Streams with REDIS_URL, else in-process (npm start shares one). */
  bus?: EventBus;
}

export interface SubgraphOptions<TContext extends BaseContext> {
  name: string;
  config: Config<typeof commonEnv> & { DATABASE_URL: string; HOST: string };
  port: number;
  deps?: SubgraphDeps;
  entities: Function[];
  migrations: MigrationEntry[];
  /** Entity class names whose cache keys every write deletes. */
  cached?: string[];
  schema: () => Promise<SubgraphSchema>;
  /** The per-request context, given a fresh tenant-bound EntityManager. */
  context: (identity: Identity, em: EntityManager, runtime: SubgraphRuntime) => TContext;
  routes?: (app: Express, runtime: SubgraphRuntime) => void;
  /** Background work (consumers, timers) started after the ORM; returns how to stop it. */
  background?: (runtime: SubgraphRuntime) => Array<() => Promise<void>>;
}

export interface RunningSubgraph {
  url: string;
  port: number;
  orm: MikroORM;
  server: RunningServer;
  cache: EntityCache;
  relay: OutboxRelay;
  runtime: SubgraphRuntime;
  close(): Promise<void>;
}

/**
 * The one way a subgraph starts: telemetry, metrics, Redis (if configured), the L2 cache,
 * the event bus and outbox relay, the ORM (migrated), background work, then the HTTP
 * server. `close()` stops them in the reverse order.
 */
export async function startSubgraph<TContext extends BaseContext>(options: SubgraphOptions<TContext>): Promise<RunningSubgraph> {
  const { name, config } = options;
  const log = options.deps?.logger ?? createLogger({ service: name }, config.LOG_LEVEL);
  const stopTelemetry = await startTelemetry(name, config.OTEL_EXPORTER_OTLP_ENDPOINT);
  const metrics = createMetrics(name);
  const redis = config.REDIS_URL ? createRedis(config.REDIS_URL) : undefined;
  if (redis && !(await redisReady(redis))) log.warn('Redis is not answering yet: serving from the database meanwhile', { url: config.REDIS_URL });
  const cache = new EntityCache({ subgraph: name, redis, metrics });
  for (const entity of options.cached ?? []) cache.invalidateOnWrite(entity);
  const bus = options.deps?.bus ?? busFor(redis, config.EVENT_STREAM, log);
  const orm = await createOrm({
    subgraph: name,
    databaseUrl: config.DATABASE_URL,
    schemaPrefix: config.DB_SCHEMA_PREFIX,
    entities: options.entities,
    migrations: options.migrations,
    features: kitFeatures,
    metrics,
    logger: log,
    subscribers: [cache.subscriber()],
  });
  const relay = startOutboxRelay(orm, bus, log, metrics);
  const events = eventConsumer({ bus, orm, metrics, logger: log });
  const runtime: SubgraphRuntime = { log, metrics, redis, cache, bus, events, orm, relay };
  const stops = options.background?.(runtime) ?? [];
  const { schema } = await options.schema();
  const stopAllButServer = async () => {
    for (const stop of stops) await stop();
    await relay.stop();
    if (!options.deps?.bus) await bus.close();
    await orm.close();
    redis?.disconnect();
    await stopTelemetry();
  };
  const server = await createSubgraphServer<TContext>(
    {
      name,
      schema,
      metrics,
      logger: log,
      internalSecret: config.INTERNAL_SECRET,
      previousInternalSecret: config.INTERNAL_SECRET_PREVIOUS,
      replayCheck: config.IDENTITY_REPLAY_CHECK,
      metricsToken: config.METRICS_TOKEN,
      context: (identity) => options.context(identity, requestEntityManager(orm, identity), runtime),
      ready: () => orm.isConnected(),
      routes: options.routes && ((app) => options.routes!(app, runtime)),
    },
    { port: options.port, host: config.HOST, portVariable: `${name.toUpperCase()}_PORT` },
  ).catch(async (error: unknown) => {
    // Nothing may keep running when the port is taken: the caller sees only the error.
    await stopAllButServer().catch(() => {});
    throw error;
  });
  log.info(`${name} subgraph ready`, { url: server.url });
  return {
    url: server.url,
    port: server.port,
    orm,
    server,
    cache,
    relay,
    runtime,
    async close() {
      await server.stop();
      await stopAllButServer();
    },
  };
}
