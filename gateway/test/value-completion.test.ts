import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startStack, type Stack } from './stack';

/**
 * A subgraph that answers a value its schema does not allow (here a status TicketStatus does
 * not have): the client gets the nulled field *and* an error saying so, formatted like every
 * other unexpected failure — not a silent null, nor Apollo's raw `extensions.valueCompletion`.
 */
let stack: Stack;
let tickets: http.Server;
let answer: unknown;
beforeAll(async () => {
  tickets = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => tickets.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(tickets.address() as AddressInfo).port}/graphql`;
  stack = await startStack({ gatewayEnv: { TICKETS_URL: url } });
});
afterAll(async () => {
  await stack.close();
  await new Promise((resolve) => tickets.close(resolve));
});

const COUNTS = `query Counts { ticketCounts { status count } }`;

it('answers a value the schema does not have with null and an INTERNAL_SERVER_ERROR at its path', async () => {
  answer = { data: { ticketCounts: [{ status: 'OPEN', count: 3 }, { status: 'SOLVED', count: 2 }] } };
  const res = await stack.gql(COUNTS, {}, await stack.as('agent@acme.test'));
  expect(res.data).toEqual({ ticketCounts: null }); // the non-null status bubbles up to the nullable list
  expect(res.errors).toHaveLength(1);
  expect(res.errors![0]).toMatchObject({ message: 'Internal server error', path: ['ticketCounts', 1, 'status'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  expect(typeof res.errors![0]!.extensions!.traceId).toBe('string');
  expect((res as { extensions?: Record<string, unknown> }).extensions?.valueCompletion).toBeUndefined();
  expect(stack.logs.some((l) => l.service === 'gateway' && l.msg === 'unexpected error' && String(JSON.stringify(l.error)).includes('TicketStatus'))).toBe(true);
  const metrics = await (await fetch(stack.gateway.url.replace('/graphql', '/metrics'))).text();
  expect(metrics).toMatch(/graphql_errors_total\{code="INTERNAL_SERVER_ERROR",service="gateway"\} [1-9]/);
});

it('adds nothing to a valid answer', async () => {
  answer = { data: { ticketCounts: [{ status: 'OPEN', count: 3 }, { status: 'RESOLVED', count: 2 }] } };
  const res = await stack.gql(COUNTS, {}, await stack.as('agent@acme.test'));
  expect(res.errors).toBeUndefined();
  expect(res.data).toEqual({ ticketCounts: [{ status: 'OPEN', count: 3 }, { status: 'RESOLVED', count: 2 }] });
});
