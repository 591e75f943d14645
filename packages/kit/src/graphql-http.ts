import { HeaderMap, type ApolloServer, type BaseContext, type ContextFunction } from '@apollo/server';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * The hot path of every service's `/graphql`, leaner than express's general-purpose layers
 * around it. The gateway's profile at one connection (docs/architecture.md, "Performance")
 * put express's router, body-parser and `res.send` at about a tenth of a small query's CPU.
 * Two pieces, each keeping the behaviour of what it replaces (gateway/test/http.test.ts and
 * `graphql-http.test.ts` hold them to it):
 *  - `chain`: a route's handlers as one express layer;
 *  - `apolloHandler`: Apollo Server's express 5 integration without `res.send`/`url.parse`.
 * (A lean replacement of body-parser's `json` was tried and measured no cheaper: body-parser
 * stays.)
 */

/**
 * Handlers run in order as one express layer. Express 5's router matches the path, trims the
 * URL and restores it again for every layer a request passes, and the gateway's /graphql has
 * eight or nine (the HTTP guard, the body, authentication, the abuse guards, the safelist,
 * APQ, Apollo). Express's contract holds: `next()` goes on, `next(error)` — or a throw, or a
 * rejected promise — goes to the app's error handlers, and a handler that answers does not
 * call `next`.
 */
export function chain(handlers: RequestHandler[]): RequestHandler {
  return (req, res, done) => {
    let at = 0;
    const next: NextFunction = (error?: unknown) => {
      if (error) return done(error);
      const handler = handlers[at++];
      if (!handler) return done();
      try {
        const result = handler(req, res, next) as unknown;
        if (result && typeof (result as Promise<unknown>).then === 'function') (result as Promise<unknown>).then(undefined, (e: unknown) => done(e || new Error('Rejected promise')));
      } catch (e) {
        done(e);
      }
    };
    next();
  };
}

/**
 * Apollo Server's express 5 integration (`@as-integrations/express5` 1.1.2), doing the same
 * per request — the headers as a HeaderMap, the query string, the parsed body in, Apollo's
 * status, headers and body out — with `res.end` instead of express's `res.send` (which
 * re-derives the content type, length and freshness Apollo has already settled; etags are
 * off in every service) and without the legacy `url.parse` per request. A streamed
 * (incremental delivery) body is written chunk by chunk, as there.
 */
export function apolloHandler<TContext extends BaseContext>(server: ApolloServer<TContext>, context: ContextFunction<[{ req: Request; res: Response }], TContext>): RequestHandler {
  server.assertStarted('apolloHandler()');
  return async (req, res) => {
    if (!('body' in req)) {
      res.status(500);
      res.send('`req.body` is not set; this probably means you forgot to set up the `json` middleware before the Apollo Server middleware.');
      return;
    }
    const headers = new HeaderMap();
    for (const key in req.headers) {
      const value = req.headers[key];
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const response = await server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method.toUpperCase(), headers, search: searchOf(req.url), body: req.body },
      context: () => context({ req, res }),
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status || 200;
    if (response.body.kind === 'complete') {
      // As res.send: the length also on a HEAD, which sends no body.
      res.setHeader('content-length', Buffer.byteLength(response.body.string));
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };
}

/** `url.parse(url).search ?? ''` for a request target: from the first `?` to a `#`, if any. */
export function searchOf(url: string): string {
  const query = url.indexOf('?');
  if (query < 0) return '';
  const hash = url.indexOf('#');
  if (hash >= 0 && hash < query) return '';
  return url.slice(query, hash > query ? hash : undefined);
}
