import type { GraphQLDataSource } from '@apollo/gateway';
import { createLogger } from '@switchboard/kit';
import { parse } from 'graphql';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { GatewayContext } from '../context';
import { Executor } from './executor';

/**
 * What the subscription server runs for a live event and for an access check. A subgraph
 * answer @apollo/gateway cannot complete (here a status TicketStatus does not have) must reach
 * the subscriber as an error at its path — @apollo/gateway reports it only in
 * `extensions.valueCompletion`, which graphql-ws does not send, so the event went out as a
 * bare null (or, when the root field nulled, was dropped as "nothing to say").
 */
const SUPERGRAPH = readFileSync(path.resolve(__dirname, '../../../schema/supergraph.graphql'), 'utf8');
const identity = { kind: 'user', tenantId: 't1', userId: 'u1', roles: ['AGENT'], scopes: [], exp: 0 } as const;

function executorAnswering(answer: unknown) {
  const source = { process: async () => answer } as unknown as GraphQLDataSource<GatewayContext>;
  return new Executor(SUPERGRAPH, () => source, createLogger({}, 'error'));
}

async function run(answer: unknown) {
  const executor = executorAnswering(answer);
  const source = 'query Counts { ticketCounts { status count } }';
  const { plan, operationContext } = executor.plan(parse(source), 'Counts');
  return executor.run(plan, operationContext, { source, variables: {}, operationName: 'Counts' }, executor.contextFor(identity as never));
}

it('moves a value the schema does not have from extensions.valueCompletion to errors, at its path', async () => {
  const result = await run({ data: { ticketCounts: [{ status: 'OPEN', count: 3 }, { status: 'SOLVED', count: 2 }] } });
  expect(result.data).toEqual({ ticketCounts: null });
  expect(result.errors).toHaveLength(1);
  expect(result.errors![0]!.path).toEqual(['ticketCounts', 1, 'status']);
  expect(result.errors![0]!.message).toMatch(/TicketStatus/);
  expect(result.extensions?.valueCompletion).toBeUndefined();
});

it('leaves a valid answer as it was', async () => {
  const result = await run({ data: { ticketCounts: [{ status: 'OPEN', count: 3 }] } });
  expect(result.errors).toBeUndefined();
  expect(result.extensions).toBeUndefined();
  expect(result.data).toEqual({ ticketCounts: [{ status: 'OPEN', count: 3 }] });
});
