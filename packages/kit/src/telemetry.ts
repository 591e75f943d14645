import { context, trace, SpanKind, SpanStatusCode, TraceFlags, type Attributes, type Link, type Span } from '@opentelemetry/api';
import { currentScope } from './context';
import { parseTraceparent, randomId, type TraceContext } from './identity';

/** Span kinds, for workspaces that do not depend on @opentelemetry/api themselves. */
export { SpanKind };

let sdkStarted: Promise<() => Promise<void>> | undefined;

/**
 * Switches on the OpenTelemetry SDK with the OTLP/HTTP exporter, only when an endpoint is
 * configured. Without it, spans are the API's no-op spans and cost next to nothing.
 * Idempotent: services sharing a process share one provider.
 */
export function startTelemetry(serviceName: string, endpoint: string | undefined): Promise<() => Promise<void>> {
  if (!endpoint) return Promise.resolve(async () => {});
  sdkStarted ??= (async () => {
    const { NodeTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-node');
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    const { resourceFromAttributes } = await import('@opentelemetry/resources');
    const provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ 'service.name': serviceName }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` }))],
    });
    provider.register();
    return () => provider.shutdown();
  })();
  return sdkStarted;
}

const tracer = () => trace.getTracer('switchboard');

/** The server span of one HTTP request, a child of the caller's `traceparent` when there is one. */
export function startRequestSpan(name: string, parent: TraceContext | null, attributes: Attributes): Span {
  const ctx = parent
    ? trace.setSpanContext(context.active(), {
        traceId: parent.traceId,
        spanId: parent.spanId,
        traceFlags: parent.flags === '01' ? TraceFlags.SAMPLED : TraceFlags.NONE,
        isRemote: true,
      })
    : context.active();
  return tracer().startSpan(name, { kind: SpanKind.SERVER, attributes }, ctx);
}

/** `fn` in an active span under `parent`: a throw is recorded on the span (ERROR) and rethrown; the span always ends. */
function inSpan<T>(name: string, options: { kind?: SpanKind; attributes: Attributes; links?: Link[] }, parent: ReturnType<typeof context.active>, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, options, parent, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The active context, or else one whose parent is the request's incoming trace context. */
function activeOrRequestParent() {
  let parent = context.active();
  const scope = currentScope();
  if (!trace.getSpan(parent) && scope) {
    parent = trace.setSpanContext(parent, {
      traceId: scope.trace.traceId,
      spanId: scope.trace.spanId,
      traceFlags: scope.trace.flags === '01' ? TraceFlags.SAMPLED : TraceFlags.NONE,
      isRemote: true,
    });
  }
  return parent;
}

/**
 * Records a client span that has already finished (it took `tookMs`, ending now), under the
 * active span or the request's trace: for calls a library reports only afterwards (MikroORM's
 * query log gives each statement's duration).
 */
export function recordFinishedSpan(name: string, attributes: Attributes, tookMs: number, failed = false): void {
  const end = Date.now();
  const span = tracer().startSpan(name, { kind: SpanKind.CLIENT, attributes, startTime: end - Math.max(0, tookMs) }, activeOrRequestParent());
  if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end(end);
}

/**
 * Runs `fn` in a span whose parent is the active span, or else the request's incoming
 * trace context, so traces continue across the gateway → subgraph hop.
 */
export async function withSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return inSpan(name, { attributes }, activeOrRequestParent(), fn);
}

/** The context whose parent span is the one a W3C `traceparent` names (or the active context without one). */
function remoteParent(traceparent: string | undefined) {
  const parent = traceparent ? parseTraceparent(traceparent) : null;
  return parent
    ? trace.setSpanContext(context.active(), { traceId: parent.traceId, spanId: parent.spanId, traceFlags: parent.flags === '01' ? TraceFlags.SAMPLED : TraceFlags.NONE, isRemote: true })
    : context.active();
}

/**
 * Runs `fn` in a span that continues the trace a stored `traceparent` names — an event's,
 * for work done later from it (a consumer's handler, a webhook delivery) — or starts a trace
 * of its own without one.
 */
export async function withSpanFrom<T>(traceparent: string | undefined, name: string, attributes: Attributes, fn: (span: Span) => Promise<T>, kind: SpanKind = SpanKind.INTERNAL): Promise<T> {
  return inSpan(name, { kind, attributes }, remoteParent(traceparent), fn);
}

/**
 * Runs an event handler in a consumer span that continues the trace of the request that
 * emitted the event (its `traceparent`), or starts a trace of its own.
 */
export function withEventSpan<T>(group: string, event: { id: string; type: string; tenantId: string; traceparent?: string }, fn: () => Promise<T>): Promise<T> {
  const attributes = { 'messaging.consumer.group.name': group, 'messaging.message.id': event.id, 'switchboard.event.type': event.type, 'switchboard.tenant_id': event.tenantId };
  return withSpanFrom(event.traceparent, `event ${group} ${event.type}`, attributes, fn, SpanKind.CONSUMER);
}

/**
 * A consumer span around one batch of events (`EventConsumer.consumeBatch`): a trace of its
 * own, linked to the trace of each event that carried one.
 */
export async function withEventBatchSpan<T>(group: string, events: { traceparent?: string }[], fn: () => Promise<T>): Promise<T> {
  const links = events.flatMap((e) => {
    const parent = e.traceparent ? trace.getSpanContext(remoteParent(e.traceparent)) : undefined;
    return parent ? [{ context: parent }] : [];
  });
  const attributes = { 'messaging.consumer.group.name': group, 'messaging.batch.message_count': events.length };
  return inSpan(`event ${group} batch`, { kind: SpanKind.CONSUMER, attributes, links }, context.active(), fn);
}

/** The trace context to send downstream: the active recording span's, or a fresh child id. */
export function outgoingTraceContext(fallback: TraceContext): TraceContext {
  const span = trace.getSpan(context.active());
  const sc = span?.spanContext();
  if (sc && span?.isRecording()) {
    return { traceId: sc.traceId, spanId: sc.spanId, flags: sc.traceFlags & TraceFlags.SAMPLED ? '01' : '00' };
  }
  return { ...fallback, spanId: randomId(8, 'hex') };
}
