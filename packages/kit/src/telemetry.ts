import { context, trace, SpanKind, SpanStatusCode, TraceFlags, type Attributes, type Span } from '@opentelemetry/api';
import { currentScope } from './context';
import { parseTraceparent, randomId, type TraceContext } from './identity';

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

/**
 * Runs `fn` in a span whose parent is the active span, or else the request's incoming
 * trace context, so traces continue across the gateway → subgraph hop.
 */
export async function withSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
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
  return tracer().startActiveSpan(name, { attributes }, parent, async (span) => {
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

/**
 * Runs an event handler in a consumer span that continues the trace of the request that
 * emitted the event (its `traceparent`), or starts a trace of its own.
 */
export async function withEventSpan<T>(group: string, event: { id: string; type: string; tenantId: string; traceparent?: string }, fn: () => Promise<T>): Promise<T> {
  const parent = event.traceparent ? parseTraceparent(event.traceparent) : null;
  const ctx = parent
    ? trace.setSpanContext(context.active(), { traceId: parent.traceId, spanId: parent.spanId, traceFlags: parent.flags === '01' ? TraceFlags.SAMPLED : TraceFlags.NONE, isRemote: true })
    : context.active();
  const attributes = { 'messaging.consumer.group.name': group, 'messaging.message.id': event.id, 'switchboard.event.type': event.type, 'switchboard.tenant_id': event.tenantId };
  return tracer().startActiveSpan(`event ${group} ${event.type}`, { kind: SpanKind.CONSUMER, attributes }, ctx, async (span) => {
    try {
      return await fn();
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
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
