import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as legacyParse } from 'node:url';
import { apolloHandler, chain, searchOf } from './graphql-http';

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
