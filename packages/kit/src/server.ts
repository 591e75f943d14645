import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import express, { type Express } from 'express';
import type { GraphQLSchema } from 'graphql';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { currentScope } from './context';
import { createHttpApp, formatErrorFor, headerValue, observabilityPlugin } from './http';
import { apolloHandler, chain } from './graphql-http';
import { IDENTITY_HEADER, ReplayGuard, verifyIdentity, type Identity } from './identity';
import type { Logger } from './logger';
import { createMetrics, type Metrics } from './metrics';

export interface SubgraphServerOptions<TContext extends BaseContext> {
  name: string;
  schema: GraphQLSchema;
  logger: Logger;
  /** The HMAC secret the gateway signs identities with. */
  internalSecret: string;
  /** The secret being rotated out, still accepted (INTERNAL_SECRET_PREVIOUS; docs/operations.md). */
  previousInternalSecret?: string;
  /** Builds the per-request context from the verified identity. */
  context: (identity: Identity) => Promise<TContext> | TContext;
  /** Dependencies answer (database, Redis): drives `/readyz`. */
  ready?: () => Promise<boolean>;
  /** Extra routes (mounted after identity verification). */
  routes?: (app: Express) => void;
  /** The service's metrics, when the caller made them first (to share with the ORM and caches). */
  metrics?: Metrics;
  /** Refuse a signed identity header seen before (default true; IDENTITY_REPLAY_CHECK). */
  replayCheck?: boolean;
  /** What a scraper must send for `/metrics` (METRICS_TOKEN); unset: loopback only. */
  metricsToken?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  httpServer: http.Server;
  metrics: Metrics;
  stop(): Promise<void>;
}

/**
 * A subgraph: Apollo Server 5 on express 5 at `/graphql`, reachable only with a valid,
 * unexpired identity header signed by the gateway.
 */
export async function createSubgraphServer<TContext extends BaseContext>(
  options: SubgraphServerOptions<TContext>,
  listen: { port: number; host?: string; portVariable?: string },
): Promise<RunningServer> {
  const metrics = options.metrics ?? createMetrics(options.name);
  const app = createHttpApp({ service: options.name, metrics, ready: options.ready, metricsToken: options.metricsToken });
  const httpServer = http.createServer(app);

  const apollo = new ApolloServer<TContext>({
    schema: options.schema,
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false, // shutdown is ours: onShutdown / the launcher stop everything in order
    formatError: formatErrorFor(options.logger, options.name),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginInlineTraceDisabled(),
      observabilityPlugin(metrics, options.logger),
    ],
  });
  await apollo.start();

  // Nothing past this point runs without the gateway's signature, made for this service
  // (audience), for this request, and not seen before (replay).
  const replays = new ReplayGuard();
  app.use((req, res, next) => {
    const result = verifyIdentity(headerValue(req, IDENTITY_HEADER), options.previousInternalSecret ? [options.internalSecret, options.previousInternalSecret] : options.internalSecret, { audience: options.name });
    let reason: string | undefined;
    if (!result.ok) reason = result.reason;
    else if (!result.identity.requestId || result.identity.requestId.length > 128) reason = 'malformed';
    else if (options.replayCheck !== false && !replays.accept(result.identity.jti, result.identity.exp)) reason = 'replayed';
    if (!result.ok || reason) {
      options.logger.warn('refused request without a valid identity', { reason, path: req.path });
      metrics.errors.inc({ code: 'UNAUTHENTICATED' });
      res.status(401).json({
        errors: [{ message: `Requests must come through the gateway (identity ${reason})`, extensions: { code: 'UNAUTHENTICATED' } }],
      });
      return;
    }
    const scope = currentScope();
    if (scope) {
      scope.identity = result.identity;
      // The signed request id, not the plain header, is what this service logs and echoes.
      scope.requestId = result.identity.requestId!;
    }
    res.setHeader('x-request-id', result.identity.requestId!);
    res.locals.identity = result.identity;
    next();
  });
  options.routes?.(app);
  app.use(
    '/graphql',
    chain([
      express.json({ limit: '1mb' }),
      apolloHandler(apollo, async ({ res }) => options.context(res.locals.identity as Identity)),
    ]),
  );

  try {
    await listenOn(httpServer, { port: listen.port, host: listen.host, portVariable: listen.portVariable ?? `${options.name.toUpperCase()}_PORT` });
  } catch (error) {
    await apollo.stop().catch(() => {});
    throw error;
  }
  const { port } = httpServer.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/graphql`;
  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    httpServer,
    metrics,
    stop: () => (stopping ??= apollo.stop()),
  };
}

/**
 * Listens on `host` (127.0.0.1 unless told otherwise) and `port`. A port already taken
 * fails with a message that names the variable to change, not a bare EADDRINUSE.
 */
export async function listenOn(server: http.Server, options: { port: number; host?: string; portVariable: string }): Promise<void> {
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(Object.assign(new Error(`port ${options.port} is in use on ${host}: set ${options.portVariable} to a free port`), { code: 'EADDRINUSE', cause: error }));
      } else if (error.code === 'EADDRNOTAVAIL') {
        reject(Object.assign(new Error(`cannot listen on ${host}: set HOST to an address of this machine (127.0.0.1, 0.0.0.0)`), { code: error.code, cause: error }));
      } else reject(error);
    };
    server.once('error', onError);
    server.listen(options.port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Runs `stop` once on SIGTERM or SIGINT, then exits: in-flight requests finish first
 * (Apollo's drain plugin), then connections and pools close.
 */
export function onShutdown(stop: () => Promise<void>, logger: Logger): void {
  let called = false;
  const handler = (signal: NodeJS.Signals) => {
    if (called) return;
    called = true;
    logger.info('shutting down', { signal });
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    stop()
      .then(() => process.exit(0))
      .catch((error) => {
        logger.error('shutdown failed', { error });
        process.exit(1);
      });
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}
