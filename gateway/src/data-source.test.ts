import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { Headers } from 'node-fetch';
import { IDENTITY_HEADER, verifyIdentity } from '@switchboard/kit';
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

  describe('_entities fetches', () => {
    const ENTITIES = 'query E($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id name } } }';
    const user = (id: string) => ({ __typename: 'User', id });
    function entitiesSource(answer: (reps: { id: string }[]) => unknown) {
      const ds = new SubgraphDataSource('tenants', 'http://subgraph/graphql', 'a-secret-of-enough-length', 1000);
      const sent: { id: string }[][] = [];
      ds.fetcher = (async (_url: string, init: { body: string }) => {
        const reps = JSON.parse(init.body).variables.representations as { id: string }[];
        sent.push(reps);
        return new Response(JSON.stringify(answer(reps)), { headers: { 'content-type': 'application/json' } });
      }) as never;
      return { ds, sent };
    }
    const ask = (ds: SubgraphDataSource, representations: unknown[]) => {
      const o = options(ENTITIES, 'u1');
      o.request.variables = { representations };
      return ds.process(o);
    };

    it('sends each distinct representation once and answers in the order asked, a copy per repeat', async () => {
      const { ds, sent } = entitiesSource((reps) => ({ data: { _entities: reps.map((r) => ({ __typename: 'User', id: r.id, name: `name of ${r.id}` })) } }));
      const answer = await ask(ds, [user('a'), user('b'), user('a'), user('a'), user('c')]);
      expect(sent).toEqual([[user('a'), user('b'), user('c')]]);
      const entities = answer.data!._entities as { id: string; name: string }[];
      expect(entities.map((e) => e.id)).toEqual(['a', 'b', 'a', 'a', 'c']);
      expect(entities[2]!.name).toBe('name of a');
      expect(entities[0]).not.toBe(entities[2]);
    });

    it('repeats an error on one representation at every position that asked for it', async () => {
      const { ds } = entitiesSource(() => ({
        data: { _entities: [{ __typename: 'User', id: 'x', name: 'X' }, null] },
        errors: [{ message: 'not visible', path: ['_entities', 1, 'name'], extensions: { code: 'FORBIDDEN' } }, { message: 'whole' }],
      }));
      // Asked: x, a, x, a → sent x, a; the error on the second (a) belongs to positions 1 and 3.
      const answer = await ask(ds, [user('x'), user('a'), user('x'), user('a')]);
      expect((answer.data!._entities as unknown[]).map((e) => (e as { id?: string } | null)?.id ?? null)).toEqual(['x', null, 'x', null]);
      expect(answer.errors!.map((e) => e.path ?? null)).toEqual([['_entities', 1, 'name'], ['_entities', 3, 'name'], null]);
    });

    it('leaves a fetch without repeats as it was', async () => {
      const { ds, sent } = entitiesSource((reps) => ({ data: { _entities: reps.map((r) => ({ __typename: 'User', id: r.id })) } }));
      await ask(ds, [user('a'), user('b')]);
      expect(sent).toEqual([[user('a'), user('b')]]);
    });
  });

  describe('one fetch', () => {
    const SECRET = 'a-secret-of-enough-length';
    function sending(status: number, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
      const ds = new SubgraphDataSource('tickets', 'http://subgraph/graphql', SECRET, 1000);
      const sent: { url: string; method: string; headers: Record<string, string>; body: string }[] = [];
      ds.fetcher = (async (url: string, init: { method: string; headers: Record<string, string>; body: string }) => {
        sent.push({ url, ...init });
        return new Response(body, { status, headers });
      }) as never;
      return { ds, sent };
    }

    it('posts the operation as JSON with the signed identity for this subgraph, the trace and the request id', async () => {
      const { ds, sent } = sending(200, JSON.stringify({ data: { ticketCounts: [] } }));
      const o = options('query Q { ticketCounts { status count } }', 'u1');
      (o.request as { operationName?: string }).operationName = 'Q';
      o.request.http!.headers.set('apollo-federation-include-trace', 'ftv1');
      const answer = await ds.process(o);
      expect(answer.data).toEqual({ ticketCounts: [] });
      expect(answer.errors).toBeUndefined();
      expect(sent).toHaveLength(1);
      const [fetch] = sent;
      expect(fetch!.url).toBe('http://subgraph/graphql');
      expect(fetch!.method).toBe('POST');
      expect(fetch!.body).toBe(JSON.stringify({ query: 'query Q { ticketCounts { status count } }', variables: { n: 1 }, operationName: 'Q' }));
      expect(fetch!.headers).toMatchObject({ 'content-type': 'application/json', 'x-request-id': 'r', 'apollo-federation-include-trace': 'ftv1' });
      expect(fetch!.headers.traceparent).toMatch(/^00-a{32}-[0-9a-f]{16}-01$/);
      expect(verifyIdentity(fetch!.headers[IDENTITY_HEADER]!, SECRET, { audience: 'tickets' })).toMatchObject({ ok: true, identity: { userId: 'u1', audience: 'tickets', requestId: 'r' } });
    });

    it("restricts the response's cache policy by the subgraph's cache-control (max-age 0 without one)", async () => {
      for (const [header, hint] of [
        [undefined, { maxAge: 0 }],
        ['max-age=60, private', { maxAge: 60, scope: 'PRIVATE' }],
        ['public, max-age="30"', { maxAge: 30, scope: 'PUBLIC' }],
        ['private, public, max-age=5, max-age=abc', { maxAge: 0, scope: 'PUBLIC' }],
      ] as const) {
        const { ds } = sending(200, JSON.stringify({ data: {} }), { 'content-type': 'application/json', ...(header ? { 'cache-control': header } : {}) });
        const hints: unknown[] = [];
        const o = options('query Q { x }', 'u1');
        (o as { incomingRequestContext: unknown }).incomingRequestContext = { overallCachePolicy: { restrict: (h: unknown) => hints.push(h) } };
        await ds.process(o);
        expect(hints).toEqual([hint]);
      }
    });

    it('refuses an answer that is not a JSON object, and names the HTTP status of a refusal', async () => {
      await expect(sending(200, 'hello', { 'content-type': 'text/plain' }).ds.process(options('query Q { x }', 'u1'))).rejects.toThrow('Expected JSON response body, but received: hello');
      await expect(sending(200, '[1]').ds.process(options('query Q { x }', 'u1'))).rejects.toThrow('Expected JSON response body');
      await expect(sending(401, JSON.stringify({ errors: [{ message: 'no' }] })).ds.process(options('query Q { x }', 'u1'))).rejects.toThrow(/^tickets answered HTTP 401: /);
      await expect(sending(503, 'down', { 'content-type': 'text/plain' }).ds.process(options('query Q { x }', 'u1'))).rejects.toMatchObject({ extensions: { code: 'UPSTREAM_UNAVAILABLE' } });
    });
  });
});
