import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { Headers } from 'node-fetch';
import { SubgraphDataSource } from './data-source';
import type { GatewayContext } from './context';

function options(query: string, userId: string): GraphQLDataSourceProcessOptions<GatewayContext> {
  return {
    kind: 'incoming operation',
    incomingRequestContext: {},
    request: { query, variables: { n: 1 }, http: { method: 'POST', url: 'http://subgraph/graphql', headers: new Headers() } },
    context: { identity: { kind: 'user', tenantId: 't', userId, roles: ['AGENT'], scopes: [], exp: 0 }, trace: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), flags: '01' }, requestId: 'r' },
  } as never;
}

describe('SubgraphDataSource', () => {
  function source() {
    const ds = new SubgraphDataSource('tickets', 'http://subgraph/graphql', 'a-secret-of-enough-length', 1000);
    const calls: string[] = [];
    ds.fetcher = (async (_url: string, init: { body: string }) => {
      calls.push(init.body);
      await new Promise((r) => setTimeout(r, 20));
      return new Response(JSON.stringify({ data: { ticketCounts: [{ status: 'OPEN', count: 1 }] } }), { headers: { 'content-type': 'application/json' } });
    }) as never;
    return { ds, calls };
  }

  it('shares one fetch among identical queries of one caller in flight at once, each with its own copy', async () => {
    const { ds, calls } = source();
    const answers = await Promise.all(Array.from({ length: 5 }, () => ds.process(options('query Q { ticketCounts { status count } }', 'u1'))));
    expect(calls).toHaveLength(1);
    expect(answers.every((a) => a.data?.ticketCounts[0].count === 1)).toBe(true);
    expect(answers[0]!.data).not.toBe(answers[1]!.data);
  });

  it('never shares across callers, nor mutations', async () => {
    const { ds, calls } = source();
    await Promise.all([ds.process(options('query Q { x }', 'u1')), ds.process(options('query Q { x }', 'u2'))]);
    expect(calls).toHaveLength(2);
    await Promise.all([ds.process(options('mutation M { x }', 'u1')), ds.process(options('mutation M { x }', 'u1'))]);
    expect(calls).toHaveLength(4);
  });
});
