import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { context, trace } from '@opentelemetry/api';
import express, { type Express, type Request } from 'express';
import { randomUUID, timingSafeEqual, createHash } from 'node:crypto';
import { runInScope, currentScope, type RequestScope } from './context';
import { maskError } from './errors';
import { newTraceContext, parseTraceparent } from './identity';
import type { Logger } from './logger';
import { operationLabels, type Metrics } from './metrics';
import { startRequestSpan } from './telemetry';
import type { GraphQLFormattedError } from 'graphql';

/**
 * The express app every service starts from: no `x-powered-by`, `/healthz` (the process is
 * up), `/readyz` (its dependencies answer), `/metrics` (Prometheus, not public: see
 * `metricsAccess`), and a request scope (request id, W3C trace context) around everything
 * after it.
 */
export function createHttpApp(options: { service: string; metrics: Metrics; ready?: () => Promise<boolean>; metricsToken?: string }): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const ok = await (options.ready?.() ?? Promise.resolve(true)).catch(() => false);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready' });
  });
  app.get('/metrics', async (req, res) => {
    const access = metricsAccess(req, options.metricsToken);
    if (access !== 'ok') {
      if (access === 'unauthorized') res.setHeader('www-authenticate', 'Bearer realm="metrics"');
      res.status(access === 'unauthorized' ? 401 : 404).json({ error: access === 'unauthorized' ? 'metrics need Authorization: Bearer <METRICS_TOKEN>' : 'not found' });
      return;
    }
    res.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });
  app.use((req, res, next) => {
    const incoming = parseTraceparent(headerValue(req, 'traceparent'));
    const scope: RequestScope = {
      requestId: headerValue(req, 'x-request-id')?.slice(0, 128) || randomUUID(),
      trace: newTraceContext(incoming),
    };
    res.setHeader('x-request-id', scope.requestId);
    runInScope(scope, () => {
      const span = startRequestSpan(`${options.service} ${req.method} ${req.path}`, incoming, {
        'http.request.method': req.method,
        'url.path': req.path,
        'service.name': options.service,
      });
      if (span.isRecording()) {
        const ctx = span.spanContext();
        scope.trace = { traceId: ctx.traceId, spanId: ctx.spanId, flags: scope.trace.flags };
      }
      res.once('finish', () => {
        span.setAttribute('http.response.status_code', res.statusCode);
        span.end();
      });
      context.with(trace.setSpan(context.active(), span), next);
    });
  });
  return app;
}

/**
 * Who may read `/metrics`: with METRICS_TOKEN set, a scraper sending
 * `Authorization: Bearer <METRICS_TOKEN>` (from anywhere; others get 401); without it, only
 * connections from this host (loopback, judged on the socket, never on X-Forwarded-For;
 * others get 404, as if there were no such route).
 */
export function metricsAccess(req: Request, token: string | undefined): 'ok' | 'unauthorized' | 'hidden' {
  if (token) {
    const match = /^Bearer\s+(\S+)$/i.exec(headerValue(req, 'authorization') ?? '');
    const digest = (v: string) => createHash('sha256').update(v).digest();
    return match && timingSafeEqual(digest(match[1]!), digest(token)) ? 'ok' : 'unauthorized';
  }
  return isLoopback(req.socket.remoteAddress) ? 'ok' : 'hidden';
}

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}

export function headerValue(req: Request, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Metrics and structured logs for every GraphQL request, and the one place where errors
 * are masked before they reach a client.
 */
export function observabilityPlugin(
  metrics: Metrics,
  logger: Logger,
  options: { knownOperations?: Iterable<string>; maxOperationLabels?: number } = {},
): ApolloServerPlugin<BaseContext> {
  // Operation names are the client's to choose: each would be a new series. Known ones (the
  // gateway's safelist) are always labelled, at most `maxOperationLabels` others, then `other`.
  const label = operationLabels(options.knownOperations ?? [], options.maxOperationLabels);
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async didResolveOperation({ operationName }) {
          const scope = currentScope();
          if (scope) scope.operationName = operationName ?? undefined;
        },
        async willSendResponse({ operationName, response }) {
          const operation = label(operationName);
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          metrics.requests.inc({ operation });
          metrics.duration.observe({ operation }, seconds);
          const errors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          for (const e of errors) metrics.errors.inc({ code: String(e.extensions?.code ?? 'UNKNOWN') });
          const sqlStatements = currentScope()?.sqlStatements;
          logger.info('graphql request', {
            operationName: operation,
            durationMs: Math.round(seconds * 1e4) / 10,
            ...(sqlStatements !== undefined ? { sqlStatements } : {}),
            ...(errors.length ? { errorCodes: errors.map((e) => e.extensions?.code) } : {}),
          });
        },
      };
    },
  };
}

/** Apollo's `formatError`, masking unexpected errors and logging them with the trace id. */
export function formatErrorFor(logger: Logger, service?: string) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError =>
    maskError(formatted, error, {
      traceId: currentScope()?.trace.traceId,
      ...(service ? { service } : {}),
      onInternal: (e) => logger.error('unexpected error', { error: unwrap(e), path: formatted.path }),
      onRefusedValue: (e) => logger.warn('the database refused a value the service did not validate', { error: unwrap(e), path: formatted.path, code: 'BAD_USER_INPUT' }),
      onUnavailable: (e) => logger.warn('database unavailable', { error: unwrap(e), path: formatted.path, code: 'UPSTREAM_UNAVAILABLE', retryable: true }),
    });
}

function unwrap(error: unknown): unknown {
  const original = (error as { originalError?: unknown })?.originalError;
  return original ?? error;
}
