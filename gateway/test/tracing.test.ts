import { trace } from '@opentelemetry/api';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
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
  stack = await startStack({ subgraphs: ['tickets', 'integrations'], seed: ['tenants', 'tickets'] });
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
    // On to SQL (every statement a `db <operation>` span) and, with Redis, the L2 cache reads.
    const sql = spans.filter((s) => s.name.startsWith('db '));
    expect(sql.length).toBeGreaterThan(0);
    for (const s of sql) expect({ name: s.name, system: s.attributes['db.system'], parentInTrace: ids.has(parentOf(s)!) }).toEqual({ name: s.name, system: 'postgresql', parentInTrace: true });
    if (process.env.REDIS_URL) expect(names).toContain('redis MGET');
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

  it('continues the trace into the webhook deliveries of the event (one span per attempt)', async () => {
    const received: string[] = [];
    const receiver = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push(String(req.headers['switchboard-event-type']));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const admin = await stack.as('admin@acme.test');
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      const endpoint = await stack.gql('mutation($input: WebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } } }', { input: { url, events: ['ticket.created'] } }, admin);
      expect(endpoint.errors).toBeUndefined();
      const traceId = 'b2f92f3577b34da6a3ce929d0e0e47bb';
      const res = await stack.gql(
        'mutation($input: CreateTicketInput!) { createTicket(input: $input) { id } }',
        { input: { subject: 'Traced webhook', requester: { name: 'Tracy', email: 'tracy@example.com' } } },
        { ...admin, traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      );
      expect(res.errors).toBeUndefined();
      await until(() => inTrace(traceId).some((s) => s.name === 'webhook.deliver'), 'the delivery span in the request’s trace');
      const delivery = inTrace(traceId).find((s) => s.name === 'webhook.deliver')!;
      expect(delivery.attributes).toMatchObject({ 'webhook.event_type': 'ticket.created', 'webhook.endpoint_id': endpoint.data.createWebhookEndpoint.endpoint.id, 'http.response.status_code': 204 });
      // Its parent is a span of the request that created the ticket (the event's traceparent).
      expect(inTrace(traceId).some((s) => s.spanContext().spanId === parentOf(delivery))).toBe(true);
      expect(received).toContain('ticket.created');
    } finally {
      await new Promise<void>((r) => receiver.close(() => r()));
    }
  });
});
