import type { MikroORM } from '@mikro-orm/postgresql';
import {
  EntityCache,
  busFor,
  createLogger,
  createMetrics,
  createOrm,
  createRedis,
  createSubgraphServer,
  redisReady,
  requestEntityManager,
  startOutboxRelay,
  startTelemetry,
  type EventBus,
  type Logger,
  type OutboxRelay,
  type RunningServer,
} from '@switchboard/kit';
import type { TicketsContext } from './context';
import type { TicketsConfig } from './env';
import { createLoaders } from './loaders';
import { migrations } from './migrations';
import { Agent } from './modules/agents/agent.entity';
import { consumeUserDirectory } from './modules/agents/agents.consumer';
import { startSlaMonitor } from './modules/sla/sla-monitor';
import { SlaPolicy } from './modules/sla/sla-policy.entity';
import { TicketComment } from './modules/tickets/ticket-comment.entity';
import { TicketHistory } from './modules/tickets/ticket-history.entity';
import { Ticket } from './modules/tickets/ticket.entity';
import { ticketsSchema } from './schema';

export const entities = [Ticket, TicketHistory, TicketComment, SlaPolicy, Agent];

export interface TicketsApp {
  url: string;
  port: number;
  orm: MikroORM;
  server: RunningServer;
  cache: EntityCache;
  relay: OutboxRelay;
  close(): Promise<void>;
}

export interface TicketsDeps {
  logger?: Logger;
  /** The event bus; by default Redis Streams with REDIS_URL, else in-process. */
  bus?: EventBus;
  /** Injectable clock: tests move time instead of sleeping. */
  clock?: () => Date;
}

/** The tickets subgraph: database (migrated), schema, directory consumer, SLA monitor, HTTP server. */
export async function bootstrap(config: TicketsConfig & { DATABASE_URL: string }, deps: TicketsDeps = {}): Promise<TicketsApp> {
  const log = deps.logger ?? createLogger({ service: 'tickets' }, config.LOG_LEVEL);
  const clock = deps.clock ?? (() => new Date());
  const stopTelemetry = await startTelemetry('tickets', config.OTEL_EXPORTER_OTLP_ENDPOINT);
  const metrics = createMetrics('tickets');
  const redis = config.REDIS_URL ? createRedis(config.REDIS_URL) : undefined;
  if (redis && !(await redisReady(redis))) log.warn('Redis is not answering yet: serving from the database meanwhile', { url: config.REDIS_URL });
  const cache = new EntityCache({ subgraph: 'tickets', redis, metrics }).invalidateOnWrite('Ticket');
  const bus = deps.bus ?? busFor(redis, config.EVENT_STREAM);
  const orm = await createOrm({
    subgraph: 'tickets',
    databaseUrl: config.DATABASE_URL,
    schemaPrefix: config.DB_SCHEMA_PREFIX,
    entities,
    migrations,
    metrics,
    subscribers: [cache.subscriber()],
  });
  const relay = startOutboxRelay(orm, bus, log, metrics);
  const stopDirectory = consumeUserDirectory(orm, bus);
  const stopSla = startSlaMonitor(orm, { intervalMs: config.SLA_CHECK_INTERVAL_MS, defaultAtRiskPercent: config.SLA_AT_RISK_SHARE, clock, logger: log });
  const { schema } = await ticketsSchema();
  const server = await createSubgraphServer<TicketsContext>(
    {
      name: 'tickets',
      schema,
      metrics,
      logger: log,
      internalSecret: config.INTERNAL_SECRET,
      context: (identity) => {
        const em = requestEntityManager(orm, identity);
        return { identity, em, config, clock, loaders: createLoaders(cache, em, identity) };
      },
      ready: () => orm.isConnected(),
    },
    { port: config.TICKETS_PORT, host: config.HOST },
  );
  log.info('tickets subgraph ready', { url: server.url });
  return {
    url: server.url,
    port: server.port,
    orm,
    server,
    cache,
    relay,
    async close() {
      await server.stop();
      await stopSla();
      await stopDirectory();
      await relay.stop();
      if (!deps.bus) await bus.close();
      await orm.close();
      redis?.disconnect();
      await stopTelemetry();
    },
  };
}

export { ticketsEnv, readTicketsConfig, type TicketsConfig } from './env';
export { ticketsSchema } from './schema';
export { runSlaCheck } from './modules/sla/sla-monitor';
export { seedDemoTickets } from './seed';
