import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import {
  AppError,
  createHttpApp,
  createLogger,
  createMetrics,
  createRedis,
  createNotifier,
  currentScope,
  formatErrorFor,
  headerValue,
  listenOn,
  observabilityPlugin,
  startTelemetry,
  type Identity,
  type Logger,
  type Redis,
} from '@switchboard/kit';
import type { RequestHandler } from 'express';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAuthenticator, type Principal } from './authenticate';
import { PrincipalCache } from './principal-cache';
import type { GatewayContext } from './context';
import { SubgraphDataSource } from './data-source';
import { createResponder, restoreEdgeCode } from './edge/errors';
import { MAX_BODY_BYTES, httpGuard, lastResortErrorHandler } from './edge/http';
import { operationLimitsRule, type OperationLimits } from './edge/limits';
import { edgeMetrics } from './edge/metrics';
import { RedisApqCache, checkManifest, isApqRegistration, loadManifest, safelistMiddleware } from './edge/persisted';
import { MemoryRateLimitStore, RedisRateLimitStore, bucketsFor, rateLimitMiddleware, type RateLimitStore } from './edge/rate-limit';
import { subgraphUrlOverrides, supergraphSubgraphNames, type GatewayConfig } from './env';
import { explorerRouter } from './explorer';
import { subscriptionsOverWebSocketOnly } from './edge/http-subscriptions';
import { anonymousOnlyLogin, firstPartyIntrospection, operationMustResolve } from './plugins';
import { startSubscriptions, type SubscriptionServer } from './subscriptions';

export interface GatewayApp {
  url: string;
  port: number;
  httpServer: http.Server;
  /** The configuration it runs with (tests start variants of it). */
  config: GatewayConfig;
  /** graphql-ws on the same server and path; absent when SUBSCRIPTIONS_ENABLED is false. */
  subscriptions?: SubscriptionServer;
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** The clock the rate limiter reads, in ms since the epoch (tests inject one). */
  now?: () => number;
}

/** Request bodies larger than this are refused with 413 before anything parses them. */
export const MAX_BODY = `${MAX_BODY_BYTES / 1024}kb`;

export function operationLimits(config: GatewayConfig): OperationLimits {
  return {
    maxDepth: config.OPERATION_MAX_DEPTH,
    maxAliases: config.OPERATION_MAX_ALIASES,
    maxRootFields: config.OPERATION_MAX_ROOT_FIELDS,
    maxDirectives: config.OPERATION_MAX_DIRECTIVES,
    maxTokens: config.OPERATION_MAX_TOKENS,
    maxCost: config.OPERATION_MAX_COST,
    defaultListSize: config.OPERATION_DEFAULT_LIST_SIZE,
  };
}

/**
 * The gateway: the precomposed supergraph behind the edge. A request to /graphql passes, in
 * order: the HTTP guard (method, content type, body size, no batching) → authentication
 * (the tenants subgraph says who the credential is) → the rate limiter → the persisted-
 * operation safelist → Apollo (CSRF prevention, APQ, token limit, validation with the
 * operation limits, introspection rule, the query plan) → subgraphs with the signed identity.
 */
export async function bootstrap(config: GatewayConfig, logger?: Logger, options: GatewayOptions = {}): Promise<GatewayApp> {
  const log = logger ?? createLogger({ service: 'gateway' }, config.LOG_LEVEL);
  const stopTelemetry = await startTelemetry('gateway', config.OTEL_EXPORTER_OTLP_ENDPOINT);
  const supergraphSdl = readFileSync(config.SUPERGRAPH_PATH, 'utf8');
  // `<NAME>_URL` for every subgraph the supergraph lists, and tenants (who answers who a
  // credential is) even when a test supergraph leaves it out.
  const overrides = subgraphUrlOverrides(config, [...supergraphSubgraphNames(supergraphSdl), 'tenants']);
  const urls = new Map<string, string>();
  const limits = operationLimits(config);
  const safelist = loadManifest(config.PERSISTED_DOCUMENTS_PATH);

  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) => {
      const target = overrides[name as keyof typeof overrides] ?? url;
      if (!target) throw new Error(`No URL for subgraph ${name}: set ${name.toUpperCase()}_URL`);
      urls.set(name, target);
      return new SubgraphDataSource(name, target, config.INTERNAL_SECRET, config.SUBGRAPH_TIMEOUT_MS);
    },
  });

  const metrics = createMetrics('gateway');
  const counters = edgeMetrics(metrics);
  // disconnectTimeout (an ioredis option its types omit): when Redis is down at shutdown,
  // ioredis otherwise keeps a 2 s timer on the already-closed socket and delays the exit.
  const redis: Redis | undefined = config.REDIS_URL ? createRedis(config.REDIS_URL, { disconnectTimeout: 200 } as Parameters<typeof createRedis>[1]) : undefined;
  const app = createHttpApp({ service: 'gateway', metrics });
  if (config.TRUST_PROXY > 0) app.set('trust proxy', config.TRUST_PROXY);
  const httpServer = http.createServer(app);
  const mask = formatErrorFor(log);
  const formatError = (formatted: GraphQLFormattedError, error: unknown) => mask(restoreEdgeCode(formatted, error), error);
  let apiSchema: GraphQLSchema | undefined;
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false, // shutdown is ours: onShutdown / the launcher stop everything in order
    // Introspection is on for Apollo, and firstPartyIntrospection decides who may use it.
    introspection: true,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules: [operationLimitsRule(limits)],
    persistedQueries: {
      ttl: config.APQ_TTL_SECONDS,
      ...(redis
        ? { cache: new RedisApqCache(redis, config.REDIS_KEY_PREFIX, config.APQ_TTL_SECONDS, () => counters.redisErrors.inc({ use: 'apq' })) }
        : {}), // without Redis: Apollo's bounded in-memory LRU
    },
    formatError,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      observabilityPlugin(metrics, log),
      operationMustResolve(),
      subscriptionsOverWebSocketOnly(),
      anonymousOnlyLogin(),
      firstPartyIntrospection(),
      {
        async serverWillStart() {
          return {
            schemaDidLoadOrUpdate({ apiSchema: schema }) {
              apiSchema = schema;
            },
          };
        },
      },
    ],
  });
  await apollo.start();
  try {
    checkManifest(safelist, apiSchema!, limits);
  } catch (error) {
    await apollo.stop();
    redis?.disconnect();
    await stopTelemetry();
    throw error;
  }
  if (redis && !(await redisAnswers(redis))) log.warn('Redis does not answer yet: rate limits fail open and APQ misses until it does');

  const principals = new PrincipalCache<Principal>(createNotifier(redis), config.PRINCIPAL_CACHE_SECONDS * 1000, options.now);
  const authenticator = createAuthenticator({
    jwtSecret: config.JWT_SECRET,
    internalSecret: config.INTERNAL_SECRET,
    tenantsUrl: () => overrides.tenants ?? urls.get('tenants') ?? 'http://127.0.0.1:4001/graphql',
    timeoutMs: config.SUBGRAPH_TIMEOUT_MS,
    cache: principals,
  });
  const refuse = createResponder({ formatError, metrics, logger: log });

  const authenticate: RequestHandler = async (req, res, next) => {
    try {
      const { identity, requestsPerMinute } = await authenticator.authenticate({
        authorization: headerValue(req, 'authorization'),
        apiKey: headerValue(req, 'x-api-key'),
      });
      currentScope()!.identity = identity;
      res.locals.identity = identity;
      res.locals.requestsPerMinute = requestsPerMinute;
      next();
    } catch (error) {
      if (!(error instanceof AppError)) return next(error);
      const status = (error.extensions.http as { status?: number } | undefined)?.status ?? 401;
      refuse(res, status, error);
    }
  };

  let rateLimitStore: RateLimitStore | undefined;
  let failOpenLogged = 0;
  const now = options.now ?? Date.now;
  const rateLimit: RequestHandler[] = [];
  if (config.RATE_LIMIT_ENABLED) {
    rateLimitStore = redis ? new RedisRateLimitStore(redis, config.REDIS_KEY_PREFIX) : new MemoryRateLimitStore();
    rateLimit.push(
      rateLimitMiddleware({
        store: rateLimitStore,
        requestsPerMinute: (res) => res.locals.requestsPerMinute as number | undefined,
        apiKeySharePercent: config.RATE_LIMIT_API_KEY_SHARE,
        anonymousPerMinute: config.RATE_LIMIT_ANONYMOUS_PER_MINUTE,
        apqRegistrationsPerMinute: config.APQ_REGISTRATIONS_PER_MINUTE,
        isApqRegistration: (req) => isApqRegistration(req, safelist),
        now,
        refuse,
        onFailOpen: (error) => {
          counters.rateLimitFailOpen.inc();
          counters.redisErrors.inc({ use: 'ratelimit' });
          if (Date.now() - failOpenLogged > 60_000) {
            failOpenLogged = Date.now();
            log.warn('rate limiter failing open: its store does not answer', { error: (error as Error)?.message });
          }
        },
        onLimited: (bucket) => counters.rateLimited.inc({ bucket }),
      }),
    );
  }

  app.use('/explorer', explorerRouter());
  app.use(
    '/graphql',
    ...httpGuard(refuse),
    authenticate,
    ...rateLimit,
    safelistMiddleware(safelist, refuse),
    expressMiddleware(apollo, {
      context: async ({ res }) => {
        const scope = currentScope()!;
        return { identity: res.locals.identity as Identity, trace: scope.trace, requestId: scope.requestId };
      },
    }),
  );
  app.use(lastResortErrorHandler(refuse, log));

  let subscriptions: SubscriptionServer | undefined;
  try {
    subscriptions = config.SUBSCRIPTIONS_ENABLED ? startLive() : undefined;
  } catch (error) {
    // A supergraph whose @liveAccess rules do not hold: nothing keeps running.
    await apollo.stop();
    principals.close();
    redis?.disconnect();
    await stopTelemetry();
    throw error;
  }
  function startLive(): SubscriptionServer {
    return startSubscriptions({
        httpServer,
        path: '/graphql',
        supergraphSdl,
        dataSource: (name, url) => {
          const target = overrides[name as keyof typeof overrides] ?? url;
          if (!target) throw new Error(`No URL for subgraph ${name}: set ${name.toUpperCase()}_URL`);
          return new SubgraphDataSource(name, target, config.INTERNAL_SECRET, config.SUBGRAPH_TIMEOUT_MS);
        },
        authenticate: (credentials) => authenticator.authenticate(credentials),
        redis,
        safelist,
        notifier: createNotifier(redis),
        onPrincipalChange: (change) => principals.invalidate(change),
        rateLimit: rateLimitStore && {
          store: rateLimitStore,
          buckets: (identity, ip, rpm) =>
            bucketsFor(identity, ip, rpm, { apiKeySharePercent: config.RATE_LIMIT_API_KEY_SHARE, anonymousPerMinute: config.RATE_LIMIT_ANONYMOUS_PER_MINUTE, apqRegistrationsPerMinute: config.APQ_REGISTRATIONS_PER_MINUTE }, false),
          now,
          onFailOpen: () => counters.rateLimitFailOpen.inc(),
          onLimited: (bucket) => counters.rateLimited.inc({ bucket }),
        },
        limits: {
          maxPayloadBytes: config.SUBSCRIPTION_MAX_PAYLOAD_BYTES,
          subscriptionsPerSocket: config.SUBSCRIPTIONS_PER_SOCKET,
          socketsPerPrincipal: config.SUBSCRIPTION_SOCKETS_PER_PRINCIPAL,
          socketsPerIp: config.SUBSCRIPTION_SOCKETS_PER_IP,
        },
        trustProxy: config.TRUST_PROXY,
        validationRules: [operationLimitsRule(limits)],
        maxTokens: limits.maxTokens,
        formatError,
        logger: log,
        queueLimit: config.SUBSCRIPTION_QUEUE_LIMIT,
        reauthMs: config.SUBSCRIPTION_REAUTH_SECONDS * 1000,
      });
  }

  await listenOn(httpServer, { port: config.GATEWAY_PORT, host: config.HOST, portVariable: 'GATEWAY_PORT' }).catch(async (error: unknown) => {
    await subscriptions?.close().catch(() => {});
    await apollo.stop().catch(() => {});
    principals.close();
    redis?.disconnect();
    await stopTelemetry();
    throw error;
  });
  const { port } = httpServer.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/graphql`;
  log.info('gateway ready', { url, persistedOperations: safelist.size, redis: Boolean(redis) });
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    httpServer,
    config,
    subscriptions,
    close: () =>
      (closing ??= (async () => {
        await subscriptions?.close(); // in-flight events delivered, sockets closed with 1001
        await apollo.stop();
        principals.close();
        await redis?.quit().catch(() => redis.disconnect());
        await stopTelemetry();
      })()),
  };
}
/** Ready, or false at its first connection error (or after 2 s): start then, and fail open until it answers. */
function redisAnswers(redis: Redis, timeoutMs = 2_000): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(false), timeoutMs);
    const onReady = () => done(true);
    const onError = () => done(false);
    function done(ok: boolean) {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('error', onError);
      resolve(ok);
    }
    redis.once('ready', onReady);
    redis.once('error', onError);
  });
}

export { gatewayEnv, readGatewayConfig, type GatewayConfig } from './env';
