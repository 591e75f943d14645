import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { startStack, type Stack } from './stack';

/**
 * One trace per client request, across the gateway and every subgraph it fetches from, and
 * on through the domain events it causes: spans recorded by an in-memory exporter on the
 * global tracer provider (what the kit's `startTelemetry` registers when an OTLP endpoint is
 * set), with every service of the stack in this process.
 */
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ subgraphs: ['tickets'], seed: ['tenants', 'tickets'] });
}, 60_000);
afterAll(async () => {
  await stack?.close();
  await provider.shutdown();
  trace.disable();
});

const until = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
};
const inTrace = (traceId: string) => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

describe('tracing', () => {
  it('gives a cross-subgraph query one trace with spans from the gateway and both subgraphs', async () => {
    const admin = await stack.as('admin@acme.test');
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await stack.gql('{ tickets(first: 3) { nodes { number assignee { name } } } }', {}, { ...admin, traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    expect(res.errors).toBeUndefined();
    expect(res.data.tickets.nodes.some((t: { assignee: unknown }) => t.assignee)).toBe(true);
    await until(() => inTrace(traceId).some((s) => s.name === 'gateway POST /graphql'), 'the gateway span to end');
    const spans = inTrace(traceId);
    const names = spans.map((s) => s.name);
    expect(names).toContain('gateway POST /graphql');
    expect(names).toContain('tickets POST /graphql');
    expect(names).toContain('tenants POST /graphql');
    expect(names.some((n) => n.startsWith('gateway.fetch'))).toBe(true); // @apollo/gateway's fetch spans
    // Each subgraph's request span is a child of a span in the same trace (the gateway's fetch), none a root.
    const ids = new Set(spans.map((s) => s.spanContext().spanId));
    for (const name of ['tickets POST /graphql', 'tenants POST /graphql']) {
      for (const s of spans.filter((x) => x.name === name)) expect({ name, parentInTrace: ids.has(parentOf(s)!) }).toEqual({ name, parentInTrace: true });
    }
    const root = spans.find((s) => s.name === 'gateway POST /graphql')!;
    expect(parentOf(root)).toBe('00f067aa0ba902b7'); // the client's span
  });

  it('continues the trace through a domain event into its consumers', async () => {
    const admin = await stack.as('admin@acme.test');
    const traceId = 'a1f92f3577b34da6a3ce929d0e0e47aa';
    const res = await stack.gql(
      'mutation($input: CreateUserInput!) { createUser(input: $input) { id } }',
      { input: { email: `traced-${Date.now()}@acme.test`, name: 'Traced', role: 'AGENT', password: 'long-enough-password' } },
      { ...admin, traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    );
    expect(res.errors).toBeUndefined();
    // tenants emits user.upserted in the request; tickets' agent directory consumes it.
    await until(() => inTrace(traceId).some((s) => s.name === 'event tickets.agent-directory user.upserted'), 'the consumer span in the request’s trace');
    const consumer = inTrace(traceId).find((s) => s.name === 'event tickets.agent-directory user.upserted')!;
    expect(consumer.attributes['switchboard.event.type']).toBe('user.upserted');
    const tenantsSpans = new Set(inTrace(traceId).filter((s) => s.name === 'tenants POST /graphql').map((s) => s.spanContext().spanId));
    // Its parent is the tenants request that wrote the event (or a span under it).
    expect(inTrace(traceId).some((s) => s.spanContext().spanId === parentOf(consumer))).toBe(true);
    expect(tenantsSpans.size).toBeGreaterThan(0);
  });
});
