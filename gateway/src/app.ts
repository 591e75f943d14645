import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import {
  apolloHandler,
  chain,
  combinePlugins,
  createHttpApp,
  createLogger,
  createMetrics,
  createRedis,
  createNotifier,
  currentScope,
  formatErrorFor,
  listenOn,
  metricGauge,
  metricHistogram,
  observabilityPlugin,
  startTelemetry,
  type Identity,
  type Logger,
  type Redis,
} from '@switchboard/kit';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAuthenticator, type Principal } from './authenticate';
import { authenticateRequests } from './edge/authenticate-requests';
import { PrincipalCache } from './principal-cache';
import { installResultShaping } from './result-shaping';
import type { GatewayContext } from './context';
import { SubgraphDataSource } from './data-source';
import { createResponder, restoreEdgeCode, type Refuse } from './edge/errors';
import { abuseProtection } from './edge/abuse';
import { recordRefusal } from './edge/threats';
import { MAX_BODY_BYTES, httpGuard, lastResortErrorHandler } from './edge/http';
import { operationLimitsRule, type OperationLimits } from './edge/limits';
import { edgeMetrics } from './edge/metrics';
import { RedisApqCache, apqRegistrationGuard, checkManifest, isApqRegistration, loadManifest, safelistMiddleware } from './edge/persisted';
import { subgraphUrlOverrides, supergraphSubgraphNames, type GatewayConfig } from './env';
import { explorerRouter } from './explorer';
import { inboundWebhooks } from './inbound';
import { subscriptionsOverWebSocketOnly } from './edge/http-subscriptions';
import { anonymousOnlyLogin, firstPartyIntrospection, operationMustResolve, valueCompletionAsErrors, wellFormedText } from './plugins';
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
 * order: the HTTP guard (method, content type, body size, no batching) → authentication (the
 * tenants subgraph says who the credential is, unless the IP is blocked or past its
 * failed-authentication budget) → a blocked IP, key or user is refused → the rate limiter →
 * the persisted-operation safelist → who may register APQ → Apollo (CSRF prevention, APQ, token limit, validation with the operation limits, introspection rule, the
 * login throttle, threat scoring, the query plan) → subgraphs with the signed identity.
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

  const metrics = createMetrics('gateway');
  const liveLag = metricHistogram(metrics, 'live_delivery_lag_seconds', 'Live events: from publication by the subgraph to the result handed to the subscribers’ sockets (per subscription group and event)', []);
  const fetchDuration = metricHistogram(metrics, 'subgraph_fetch_duration_seconds', 'Subgraph fetches by subgraph (queries, mutations, subscription fetches), errors included', ['subgraph']);
  const onFetch = (subgraph: string, seconds: number) => fetchDuration.observe({ subgraph }, seconds);
  // @apollo/gateway's result shaping, compiled once per document (result-shaping.ts).
  installResultShaping();
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) => {
      const target = overrides[name as keyof typeof overrides] ?? url;
      if (!target) throw new Error(`No URL for subgraph ${name}: set ${name.toUpperCase()}_URL`);
      urls.set(name, target);
      return new SubgraphDataSource(name, target, config.INTERNAL_SECRET, config.SUBGRAPH_TIMEOUT_MS, onFetch);
    },
  });

  const counters = edgeMetrics(metrics);
  // disconnectTimeout (an ioredis option its types omit): when Redis is down at shutdown,
  // ioredis otherwise keeps a 2 s timer on the already-closed socket and delays the exit.
  const redis: Redis | undefined = config.REDIS_URL ? createRedis(config.REDIS_URL, { disconnectTimeout: 200 } as Parameters<typeof createRedis>[1]) : undefined;
  const app = createHttpApp({ service: 'gateway', metrics, metricsToken: config.METRICS_TOKEN });
  if (config.TRUST_PROXY > 0) app.set('trust proxy', config.TRUST_PROXY);
  const httpServer = http.createServer(app);
  const mask = formatErrorFor(log);
  const formatError = (formatted: GraphQLFormattedError, error: unknown) => mask(restoreEdgeCode(formatted, error), error);
  let apiSchema: GraphQLSchema | undefined;
  const now = options.now ?? Date.now;
  const tenantsUrl = () => overrides.tenants ?? urls.get('tenants') ?? 'http://127.0.0.1:4001/graphql';

  // ---- abuse protection: stores, threat detector, plugins, the /graphql and socket rules (edge/abuse.ts)
  const abuse = abuseProtection({ config, redis, now, counters, log, tenantsUrl });
  const { rateLimitStore, threats, authFailureBucket } = abuse;
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
        ? { cache: new RedisApqCache(redis, config.REDIS_KEY_PREFIX, config.APQ_TTL_SECONDS, () => counters.redisErrors.inc({ use: 'apq' }), config.APQ_MAX_PER_TENANT, now) }
        : {}), // without Redis: Apollo's bounded in-memory LRU
    },
    formatError,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      // Ours as one request listener: Apollo's per-listener promises on every hook, once (kit graphql-http.ts).
      combinePlugins([
        // Before the observability plugin, whose willSendResponse counts the errors by code.
        valueCompletionAsErrors(formatError),
        observabilityPlugin(metrics, log, { knownOperations: safelist.operations.map((o) => o.name), maxOperationLabels: config.METRICS_MAX_OPERATION_LABELS }),
        operationMustResolve(),
        wellFormedText(),
        subscriptionsOverWebSocketOnly(),
        anonymousOnlyLogin(),
        firstPartyIntrospection(),
        ...abuse.plugins,
      ]),
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
  else if (redis) void warnOnEvictionPolicy(redis, log);

  let staleLoggedAt = -Infinity;
  const principals = new PrincipalCache<Principal>(createNotifier(redis), config.PRINCIPAL_CACHE_SECONDS * 1000, options.now, undefined, config.PRINCIPAL_STALE_IF_ERROR_SECONDS * 1000);
  const authenticator = createAuthenticator({
    jwtSecret: config.JWT_SECRET,
    previousJwtSecret: config.JWT_SECRET_PREVIOUS,
    internalSecret: config.INTERNAL_SECRET,
    tenantsUrl,
    timeoutMs: config.SUBGRAPH_TIMEOUT_MS,
    cache: principals,
    onStale: () => {
      counters.principalStale.inc();
      // One line per 10 s of outage, not one per request (the counter has the number).
      if (now() - staleLoggedAt < 10_000) return;
      staleLoggedAt = now();
      log.warn('tenants unreachable: authenticating with the last principal it gave for each credential', { code: 'UPSTREAM_UNAVAILABLE', counter: 'gateway_principal_stale_total' });
    },
  });
  const respond = createResponder({ formatError, metrics, logger: log });
  // Every edge refusal is also a threat signal for the client it went to (threats.ts).
  const refuse: Refuse = (res, status, error, headers) => {
    if (threats) recordRefusal(threats, res, error.extensions.code);
    respond(res, status, error, headers);
  };

  const authenticate = authenticateRequests({
    authenticator,
    threats,
    rateLimitStore,
    authFailureBucket,
    authFailuresPerMinute: config.AUTH_FAILURES_PER_IP_PER_MINUTE,
    counters,
    now,
    refuse,
  });

  app.use('/explorer', explorerRouter());
  // Inbound channel webhooks (WhatsApp, Slack): carried to the integrations subgraph, which checks their signatures.
  app.use('/webhooks', inboundWebhooks({ integrationsUrl: () => overrides.integrations ?? urls.get('integrations'), internalSecret: config.INTERNAL_SECRET, timeoutMs: config.SUBGRAPH_TIMEOUT_MS, logger: log }));
  // One layer for the whole /graphql chain, and Apollo without express's res.send (kit graphql-http.ts).
  app.use(
    '/graphql',
    chain([
      ...httpGuard(refuse),
      authenticate,
      ...abuse.httpGuards(refuse, (req) => isApqRegistration(req, safelist)),
      safelistMiddleware(safelist, refuse),
      apqRegistrationGuard(safelist, config.APQ_MAX_DOCUMENT_BYTES, refuse),
      apolloHandler(apollo, async ({ res }) => {
        const scope = currentScope()!;
        return { identity: res.locals.identity as Identity, trace: scope.trace, requestId: scope.requestId, ip: res.locals.ip as string | undefined };
      }),
    ]),
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
          return new SubgraphDataSource(name, target, config.INTERNAL_SECRET, config.SUBGRAPH_TIMEOUT_MS, onFetch);
        },
        authenticate: (credentials) => authenticator.authenticate(credentials),
        redis,
        onDelivered: (seconds) => liveLag.observe({}, seconds),
        safelist,
        notifier: createNotifier(redis),
        onPrincipalChange: (change) => principals.invalidate(change),
        // The HTTP edge's abuse rules hold for sockets too (docs/api.md "Abuse protection").
        ...abuse.socketRules(),
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

  // Live gauges, read at scrape time (the HPA scales the gateway on websocket_connections).
  metricGauge(metrics, 'websocket_connections', 'Open graphql-ws sockets on this gateway replica (authenticated)', () => subscriptions?.stats().connections ?? 0);
  metricGauge(metrics, 'subscriptions_active', 'Active subscriptions on this gateway replica', () => subscriptions?.stats().subscribers ?? 0);

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
        authenticator.close();
        await redis?.quit().catch(() => redis.disconnect());
        await stopTelemetry();
      })()),
  };
}
/**
 * Every key the gateway writes has a TTL, and Redis must run `maxmemory-policy volatile-lru`
 * (or `allkeys-lru`): when memory fills, cold APQ documents are evicted before the rate-limit
 * buckets and penalties that every request touches. Under `noeviction` writes fail instead
 * and the rate limiter fails open: say so at start (CONFIG may be disabled: then nothing).
 */
async function warnOnEvictionPolicy(redis: Redis, log: Logger): Promise<void> {
  try {
    const [, policy] = (await redis.config('GET', 'maxmemory-policy')) as unknown as string[];
    const [, maxmemory] = (await redis.config('GET', 'maxmemory')) as unknown as string[];
    if (policy && maxmemory !== '0' && !/lru|lfu/.test(policy)) {
      log.warn('Redis maxmemory-policy should be volatile-lru: when Redis fills, rate limits fail open', { policy });
    }
  } catch {
    // managed Redis often disables CONFIG
  }
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
