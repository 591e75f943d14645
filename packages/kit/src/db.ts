import { MikroORM, type EntityManager, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type { Migration } from '@mikro-orm/migrations';
import { currentScope } from './context';
import { TENANT_FILTER } from './tenant-filter';
import type { Metrics } from './metrics';
import { Counter } from 'prom-client';
import type { EventSubscriber, Logger as OrmLogger } from '@mikro-orm/core';
import type { Identity } from './identity';
import { isDatabaseUnavailable, isDriverError, noteConnectionLost } from './errors';
import type { Logger } from './logger';
import { recordFinishedSpan } from './telemetry';

export type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Something that plugs into the ORM: its entities and flush/transaction subscribers. The
 * kit's own features (the tenant-owned base, the directory, the audit log, the outbox and
 * dead letters — `kitFeatures` in orm-features.ts) are plug-ins like any other, so this
 * module imports none of them.
 */
export interface OrmFeature {
  name: string;
  entities?: Function[];
  /** Called once per ORM: a subscriber may keep per-ORM state. */
  subscribers?: () => EventSubscriber[];
}

export interface MigrationEntry {
  name: string;
  class: new (...args: any[]) => Migration;
}

export interface OrmOptions {
  /** The subgraph's name; also its Postgres schema (after `schemaPrefix`). */
  subgraph: string;
  databaseUrl: string;
  schemaPrefix?: string;
  entities: Function[];
  migrations: MigrationEntry[];
  poolMax?: number;
  /** Counts SQL statements into `db_statements_total` and the request scope. */
  metrics?: Metrics;
  subscribers?: EventSubscriber[];
  /** Plug-ins whose entities and subscribers join the ORM (usually `kitFeatures`), ahead of `entities` and `subscribers`. */
  features: readonly OrmFeature[];
  /** Where the database driver's own warnings go (knex prints "Connection Error: …" as plain text otherwise). */
  logger?: Logger;
}

/**
 * knex's logger (`driverOptions.log`): its warnings as structured JSON lines. A lost
 * connection is one line with `event: 'db.connection_lost'`; any other text is kept only
 * when it carries no SQL (knex's binding warnings quote the statement).
 */
export function driverLog(logger: Logger) {
  const line = (level: 'warn' | 'error') => (message: unknown) => {
    const text = message instanceof Error ? message.message : String(message);
    if (/^Connection Error/i.test(text) || isDatabaseUnavailable(message instanceof Error ? message : new Error(text))) {
      noteConnectionLost();
      logger[level]('database connection lost', { event: 'db.connection_lost', detail: text.slice(0, 200) });
      return;
    }
    logger[level]('database driver message', { detail: isDriverError(new Error(text)) ? '[withheld: it quotes SQL]' : text.slice(0, 300) });
  };
  return { warn: line('warn'), error: line('error'), deprecate: line('warn'), debug: () => {}, inspectionDepth: 0, enableColors: false };
}

export function schemaName(subgraph: string, prefix = ''): string {
  return `${prefix}${subgraph}`;
}

/**
 * MikroORM on PostgreSQL, in the subgraph's own Postgres schema, with the given features
 * (the audit log, the outbox, …) attached. Migrations run here, at start: each runs in a transaction and the whole set
 * is all-or-nothing.
 */
export async function createOrm(options: OrmOptions): Promise<MikroORM> {
  const schema = schemaName(options.subgraph, options.schemaPrefix);
  const features = options.features;
  const config: Options = {
    clientUrl: options.databaseUrl,
    schema,
    // Several ORMs share a process under npm start: each needs its own context name, or a
    // fork taken inside another ORM's transaction would resolve to that ORM's EntityManager.
    contextName: schema,
    entities: [...features.flatMap((f) => f.entities ?? []), ...options.entities],
    extensions: [Migrator],
    subscribers: [...features.flatMap((f) => f.subscribers?.() ?? []), ...(options.subscribers ?? [])],
    ...(options.metrics ? statementCounter(options.metrics) : {}),
    migrations: {
      migrationsList: options.migrations,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      silent: true,
      snapshot: false,
    },
    pool: { min: 0, max: options.poolMax ?? 10 },
    ...(options.logger ? { driverOptions: { log: driverLog(options.logger) } } : {}),
    allowGlobalContext: false,
    forceUtcTimezone: true,
    ignoreUndefinedInQuery: true,
    discovery: { warnWhenNoEntities: false },
  };
  const orm = await MikroORM.init(config);
  await orm.getMigrator().up();
  return orm;
}

/**
 * A fresh EntityManager for one request, bound to the caller's tenant. Callers with no
 * tenant (anonymous, the gateway's own calls) get an EntityManager whose tenant-owned
 * queries throw unless they explicitly opt out of the filter.
 */
export function requestEntityManager(orm: MikroORM, identity: Identity): EntityManager {
  const em = orm.em.fork({ clear: true, useContext: false });
  if (identity.tenantId) em.setFilterParams(TENANT_FILTER, { tenantId: identity.tenantId });
  return em;
}

/**
 * MikroORM calls `logQuery` for every statement when the `query` namespace is enabled; this
 * logger formats nothing: it counts, per service and per request, and records the statement
 * as a span `db <operation>` in the request's trace.
 */
function statementCounter(metrics: Metrics): Pick<Options, 'debug' | 'loggerFactory'> {
  const counter = new Counter({ name: 'db_statements_total', help: 'SQL statements sent', registers: [metrics.registry] });
  const logger: OrmLogger = {
    log: () => {},
    error: () => {},
    warn: () => {},
    setDebugMode: () => {},
    isEnabled: (namespace) => namespace === 'query',
    logQuery: (context) => {
      counter.inc();
      // One client span per statement, in the request's trace: the operation only (no SQL text, no values).
      const operation = /^\s*(\w+)/.exec(context.query ?? '')?.[1]?.toLowerCase() ?? 'query';
      recordFinishedSpan(`db ${operation}`, { 'db.system': 'postgresql', 'db.operation.name': operation }, context.took ?? 0, context.level === 'error');
      const scope = currentScope();
      if (scope) scope.sqlStatements = (scope.sqlStatements ?? 0) + 1;
    },
  };
  return { debug: ['query'], loggerFactory: () => logger };
}
