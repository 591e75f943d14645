import type { MikroORM } from '@mikro-orm/postgresql';
import {
  EntityCache,
  startOutboxRelay,
  busFor,
  type OutboxRelay,
  type EventBus,
  createMetrics,
  createRedis,
  createNotifier,
  PRINCIPALS_CHANNEL,
  redisReady,
  createLogger,
  createOrm,
  createSubgraphServer,
  requestEntityManager,
  startTelemetry,
  type Logger,
  type RunningServer,
} from '@switchboard/kit';
import express from 'express';
import { isUuid } from './modules/users/inputs';
import type { TenantsContext } from './context';
import type { TenantsConfig } from './env';
import { migrations } from './migrations';
import { ApiKey } from './modules/api-keys/api-key.entity';
import { resolvePrincipal } from './modules/auth/principal';
import { Tenant } from './modules/tenants/tenant.entity';
import { User } from './modules/users/user.entity';
import { tenantsSchema } from './schema';
import { createLoaders } from './loaders';

export const entities = [Tenant, User, ApiKey];
export { migrations };

export interface TenantsApp {
  url: string;
  port: number;
  orm: MikroORM;
  server: RunningServer;
  cache: EntityCache;
  relay: OutboxRelay;
  close(): Promise<void>;
}

/** The tenants subgraph: database (migrated), schema, HTTP server. What main and tests both use. */
export interface TenantsDeps {
  logger?: Logger;
  /** The event bus to publish on; by default Redis Streams with REDIS_URL, else in-process. */
  bus?: EventBus;
}

export async function bootstrap(config: TenantsConfig & { DATABASE_URL: string }, deps: TenantsDeps | Logger = {}): Promise<TenantsApp> {
  const { logger, bus: givenBus } = 'info' in deps ? { logger: deps as Logger, bus: undefined } : (deps as TenantsDeps);
  const log = logger ?? createLogger({ service: 'tenants' }, config.LOG_LEVEL);
  const stopTelemetry = await startTelemetry('tenants', config.OTEL_EXPORTER_OTLP_ENDPOINT);
  const metrics = createMetrics('tenants');
  const redis = config.REDIS_URL ? createRedis(config.REDIS_URL) : undefined;
  if (redis && !(await redisReady(redis))) log.warn('Redis is not answering yet: serving from the database meanwhile', { url: config.REDIS_URL });
  const cache = new EntityCache({ subgraph: 'tenants', redis, metrics }).invalidateOnWrite('User');
  const bus = givenBus ?? busFor(redis, config.EVENT_STREAM);
  const notifier = createNotifier(redis);
  const principalChanged = (change: Record<string, unknown>) => notifier.publish(PRINCIPALS_CHANNEL, change);
  const orm = await createOrm({
    subgraph: 'tenants',
    databaseUrl: config.DATABASE_URL,
    schemaPrefix: config.DB_SCHEMA_PREFIX,
    entities,
    migrations,
    metrics,
    subscribers: [cache.subscriber()],
  });
  const relay = startOutboxRelay(orm, bus, log, metrics);
  const { schema } = await tenantsSchema();
  const server = await createSubgraphServer<TenantsContext>(
    {
      name: 'tenants',
      schema,
      metrics,
      logger: log,
      internalSecret: config.INTERNAL_SECRET,
      context: (identity) => {
        const em = requestEntityManager(orm, identity);
        return { identity, em, config, cache, principalChanged, loaders: createLoaders(cache, em, identity) };
      },
      ready: () => orm.isConnected(),
      routes: (app) => {
        // The gateway asks here, with its own service identity, who a credential stands for.
        app.post('/internal/principal', express.json({ limit: '4kb' }), async (req, res, next) => {
          try {
            if (res.locals.identity?.kind !== 'service') {
              res.status(403).json({ error: 'service identity required' });
              return;
            }
            const body = req.body as { apiKey?: unknown; userId?: unknown; tenantId?: unknown } | undefined;
            const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
            const userId = str(body?.userId);
            const tenantId = str(body?.tenantId);
            const principal = await resolvePrincipal(orm.em.fork(), {
              apiKey: str(body?.apiKey),
              ...(userId && tenantId && isUuid(userId) && isUuid(tenantId) ? { userId, tenantId } : {}),
            });
            res.status(principal ? 200 : 401).json(principal ?? { error: 'unknown credential' });
          } catch (error) {
            next(error);
          }
        });
      },
    },
    { port: config.TENANTS_PORT, host: config.HOST },
  );
  log.info('tenants subgraph ready', { url: server.url });
  return {
    url: server.url,
    port: server.port,
    orm,
    server,
    cache,
    relay,
    async close() {
      await server.stop();
      await relay.stop();
      if (!givenBus) await bus.close();
      await orm.close();
      redis?.disconnect();
      await stopTelemetry();
    },
  };
}

export { seedDemo, demoDirectory, DEMO_PASSWORD, DEMO_TENANTS } from './seed';
export { tenantsEnv, readTenantsConfig, type TenantsConfig } from './env';
export { tenantsSchema } from './schema';
