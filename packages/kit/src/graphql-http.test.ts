import { ApolloServer, HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as legacyParse } from 'node:url';
import { GraphQLError } from 'graphql';
import { apolloHandler, chain, combinePlugins, searchOf } from './graphql-http';

/** The lean /graphql path (graphql-http.ts) must behave as what it replaces. */
describe('chain', () => {
  async function run(handlers: RequestHandler[]): Promise<{ status: number; text: string; after: boolean }> {
    let after = false;
    const a = express();
    a.use('/x', chain(handlers), (_req, res) => {
      after = true;
      res.status(201).send('after the chain');
    });
    a.use(((error, _req, res, _next) => res.status(500).send(`error: ${(error as Error).message}`)) as ErrorRequestHandler);
    const server = http.createServer(a);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`);
      return { status: res.status, text: await res.text(), after };
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it('runs the handlers in order and goes on after the last one calls next', async () => {
    const seen: number[] = [];
    const res = await run([(_q, _s, next) => (seen.push(1), next()), async (_q, _s, next) => (seen.push(2), next()), (_q, _s, next) => (seen.push(3), next())]);
    expect(seen).toEqual([1, 2, 3]);
    expect(res).toEqual({ status: 201, text: 'after the chain', after: true });
  });

  it('stops at a handler that answers', async () => {
    const res = await run([(_q, res) => void res.status(204).end(), () => { throw new Error('not reached'); }]);
    expect(res).toEqual({ status: 204, text: '', after: false });
  });

  it('sends next(error), a throw and a rejected promise to the error handler, and runs nothing after', async () => {
    for (const failing of [
      ((_q, _s, next) => next(new Error('passed'))) as RequestHandler,
      (() => {
        throw new Error('thrown');
      }) as RequestHandler,
      (async () => {
        throw new Error('rejected');
      }) as RequestHandler,
    ]) {
      let reached = false;
      const res = await run([failing, (_q, _s, next) => ((reached = true), next())]);
      expect(res.status).toBe(500);
      expect(res.text).toMatch(/^error: (passed|thrown|rejected)$/);
      expect(reached).toBe(false);
      expect(res.after).toBe(false);
    }
  });
});

it('searchOf gives Apollo the same query parameters as url.parse(url).search', () => {
  // url.parse escapes some characters ({, ", }) that URLSearchParams, which Apollo reads it with, decodes again.
  const params = (search: string) => [...new URLSearchParams(search)];
  for (const url of ['/graphql', '/graphql?', '/graphql?query=%7B%20a%20%7D&x=1', '/?a=1#frag', '/#frag?not', '/a?b=c?d', '/?extensions={"persistedQuery":{"version":1}}']) {
    expect(params(searchOf(url))).toEqual(params(legacyParse(url).search ?? ''));
  }
  expect(searchOf('/graphql?query=x')).toBe('?query=x');
  expect(searchOf('/graphql')).toBe('');
});

describe('apolloHandler', () => {
  /** The same Apollo Server behind @as-integrations/express5 and behind apolloHandler. */
  let servers: http.Server[] = [];
  let urls: string[] = [];
  let apollo: ApolloServer;
  beforeAll(async () => {
    apollo = new ApolloServer({
      typeDefs: 'type Query { hello(name: String): String! fail: String }',
      resolvers: { Query: { hello: (_: unknown, { name }: { name?: string }) => `hello ${name ?? 'you'}`, fail: () => { throw new Error('no'); } } },
      csrfPrevention: true,
      includeStacktraceInErrorResponses: false,
    });
    await apollo.start();
    const apps = [expressMiddleware(apollo, { context: async () => ({}) }), apolloHandler(apollo, async () => ({}))].map((handler) => {
      const a = express();
      a.set('etag', false);
      a.disable('x-powered-by');
      a.use('/graphql', express.json(), handler);
      return a;
    });
    servers = apps.map((a) => http.createServer(a));
    urls = await Promise.all(servers.map((s) => new Promise<string>((resolve) => s.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}/graphql`)))));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    await apollo.stop();
  });

  const post = (body: unknown, headers: Record<string, string> = {}) => ({ method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const REQUESTS: Record<string, [string, RequestInit]> = {
    'a query': ['', post({ query: '{ hello(name: "ada") }' })],
    'variables and an operation name': ['', post({ query: 'query Q($n: String) { hello(name: $n) }', variables: { n: 'bob' }, operationName: 'Q' })],
    'a resolver error': ['', post({ query: '{ fail }' })],
    'a validation error': ['', post({ query: '{ nope }' })],
    'a parse error': ['', post({ query: '{' })],
    'no query': ['', post({})],
    'graphql-response+json asked for': ['', post({ query: '{ nope }' }, { accept: 'application/graphql-response+json' })],
    'a GET with a preflight header': ['?query=%7B%20hello%20%7D', { headers: { 'apollo-require-preflight': 'true' } }],
    'a GET refused by CSRF prevention': ['?query=%7B%20hello%20%7D', {}],
    'a GET mutation': ['?query=mutation%20%7B%20hello%20%7D', { headers: { 'apollo-require-preflight': 'true' } }],
    'a HEAD': ['?query=%7B%20hello%20%7D', { method: 'HEAD', headers: { 'apollo-require-preflight': 'true' } }],
  };
  const KEPT_HEADERS = ['content-type', 'content-length', 'cache-control', 'allow', 'vary'];
  for (const [name, [search, init]] of Object.entries(REQUESTS)) {
    it(`answers ${name} as @as-integrations/express5 does`, async () => {
      const [expected, actual] = await Promise.all(
        urls.map(async (url) => {
          const res = await fetch(url + search, init);
          return { status: res.status, headers: Object.fromEntries(KEPT_HEADERS.map((h) => [h, res.headers.get(h)])), body: await res.text() };
        }),
      );
      expect(actual).toEqual(expected);
      expect(expected!.status).toBeGreaterThanOrEqual(200);
    });
  }
});

describe('combinePlugins', () => {
  const typeDefs = 'type Query { hello: String! }';
  const resolvers = { Query: { hello: () => 'hi' } };
  async function answer(plugins: ApolloServerPlugin[], query = '{ hello }') {
    const server = new ApolloServer({ typeDefs, resolvers, plugins });
    await server.start();
    try {
      const res = await server.executeOperation({ query });
      return res.body.kind === 'single' ? res.body.singleResult : undefined;
    } finally {
      await server.stop();
    }
  }

  it('calls each listener that has a hook, in the plugins’ order, and all of them before any is awaited', async () => {
    const seen: string[] = [];
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const result = await answer([
      combinePlugins([
        { requestDidStart: async () => ({ didResolveOperation: async () => void seen.push('a: resolved'), willSendResponse: async () => { seen.push('a: waits'); await gate; seen.push('a: done'); } }) },
        { requestDidStart: async () => undefined },
        { requestDidStart: async () => ({ willSendResponse: async () => { seen.push('b: opens'); open(); } }) },
        { requestDidStart: async () => ({ didResolveOperation: async () => void seen.push('c: resolved') }) },
      ]),
    ]);
    expect(result?.data).toEqual({ hello: 'hi' });
    // b runs while a waits for it: as Apollo's Promise.all over separate plugins does.
    expect(seen).toEqual(['a: resolved', 'c: resolved', 'a: waits', 'b: opens', 'a: done']);
  });

  it('answers the request with a hook’s error, and a response one listener gives', async () => {
    const refusing = await answer([combinePlugins([{ requestDidStart: async () => ({ didResolveOperation: async () => { throw new GraphQLError('refused here', { extensions: { code: 'FORBIDDEN' } }); } }) }])]);
    expect(refusing?.errors?.[0]).toMatchObject({ message: 'refused here', extensions: { code: 'FORBIDDEN' } });
    const answered = await answer([
      combinePlugins([
        { requestDidStart: async () => ({ responseForOperation: async () => null }) },
        { requestDidStart: async () => ({ responseForOperation: async () => ({ body: { kind: 'single', singleResult: { data: { hello: 'from a plugin' } } }, http: { headers: new HeaderMap(), status: undefined } }) }) },
        { requestDidStart: async () => ({ responseForOperation: async () => { throw new Error('not asked: an earlier one answered'); } }) },
      ]),
    ]);
    expect(answered?.data).toEqual({ hello: 'from a plugin' });
  });

  it('gives what separate plugins give when one listener writes the response another reads', async () => {
    const plugins = (): ApolloServerPlugin[] => [
      { requestDidStart: async () => ({ willSendResponse: async ({ response }) => { if (response.body.kind === 'single') response.body.singleResult.extensions = { stamped: true }; } }) },
      { requestDidStart: async () => ({ willSendResponse: async ({ response }) => { if (response.body.kind === 'single') (response.body.singleResult.extensions as Record<string, unknown>).seen = Boolean(response.body.singleResult.extensions?.stamped); } }) },
    ];
    expect(await answer([combinePlugins(plugins())])).toEqual(await answer(plugins()));
    expect((await answer([combinePlugins(plugins())]))?.extensions).toEqual({ stamped: true, seen: true });
  });

  it('refuses what it cannot combine: server hooks at once, other request hooks at the first request', async () => {
    expect(() => combinePlugins([{ serverWillStart: async () => undefined }])).toThrow(/request plugins only; this one has serverWillStart/);
    const combined = combinePlugins([{ requestDidStart: async () => ({ executionDidStart: async () => undefined }) }]);
    await expect(combined.requestDidStart!({} as never)).rejects.toThrow("combinePlugins cannot combine a listener's executionDidStart");
    await expect(answer([combined])).rejects.toThrow(); // a request through it fails, loudly
    // A listener's hooks as class methods are seen too (Apollo calls them so).
    class Listener {
      async validationDidStart() {
        return undefined;
      }
    }
    await expect(combinePlugins([{ requestDidStart: async () => new Listener() }]).requestDidStart!({} as never)).rejects.toThrow("cannot combine a listener's validationDidStart");
  });
});
