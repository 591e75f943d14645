import { HeaderMap, type ApolloServer, type ApolloServerPlugin, type BaseContext, type ContextFunction, type GraphQLRequestListener } from '@apollo/server';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * The hot path of every service's `/graphql`, leaner than express's general-purpose layers
 * around it. The gateway's profile at one connection (docs/architecture.md, "Performance")
 * put express's router, body-parser and `res.send` at about a tenth of a small query's CPU.
 * Three pieces, each keeping the behaviour of what it replaces (gateway/test/http.test.ts and
 * `graphql-http.test.ts` hold them to it):
 *  - `chain`: a route's handlers as one express layer;
 *  - `apolloHandler`: Apollo Server's express 5 integration without `res.send`/`url.parse`;
 *  - `combinePlugins`: request plugins as one Apollo listener (found by the allocation profile).
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

type Listener<TContext extends BaseContext> = GraphQLRequestListener<TContext>;
/**
 * The hooks that can be combined: those Apollo calls on every listener at once
 * (`Promise.all`, a rejection answering the request), and `responseForOperation`.
 */
const COMBINABLE = new Set(['didResolveSource', 'didResolveOperation', 'willSendResponse', 'didEncounterErrors', 'didEncounterSubsequentErrors', 'willSendSubsequentPayload', 'responseForOperation']);
/** Every hook of Apollo Server 5's request listener: the combinable ones and those refused. */
const REQUEST_HOOKS = [...COMBINABLE, 'parsingDidStart', 'validationDidStart', 'executionDidStart'];

/**
 * Request plugins as one. Apollo Server calls each hook on every plugin's request listener
 * through `Promise.all` (or, for `responseForOperation`, one after the other), so each plugin
 * costs a few promises per hook per request whether it listens or not — the gateway's ten
 * request plugins were Apollo's largest allocation after the answer itself (docs/architecture.md,
 * "Performance"). The combined plugin starts the plugins' `requestDidStart` in order and
 * answers with one listener that calls, for each hook, only the listeners that have it, in
 * the same order and with the same semantics (all started before any is awaited; the first
 * rejection wins; `responseForOperation` until one answers). Only request plugins of
 * notification hooks and `responseForOperation` may be combined: a plugin with server hooks
 * (`serverWillStart` …) or a listener with `parsingDidStart`, `validationDidStart` or
 * `executionDidStart` is refused, at start and at its first request respectively.
 */
export function combinePlugins<TContext extends BaseContext>(plugins: ApolloServerPlugin<TContext>[]): ApolloServerPlugin<TContext> {
  for (const plugin of plugins) {
    const extra = Object.keys(plugin).filter((k) => k !== 'requestDidStart');
    if (extra.length) throw new Error(`combinePlugins takes request plugins only; this one has ${extra.join(', ')}`);
  }
  const starts = plugins.map((p) => p.requestDidStart).filter((s): s is NonNullable<typeof s> => typeof s === 'function');
  return {
    async requestDidStart(requestContext) {
      const started = await Promise.all(starts.map((start) => start(requestContext)));
      // Which listeners have each hook, in the plugins' order (one pass; anything else refused).
      const byHook = new Map<string, Listener<TContext>[]>();
      for (const listener of started) {
        if (listener == null) continue;
        for (const hook of REQUEST_HOOKS) {
          // Read as Apollo reads them: methods of a class count as much as own properties.
          if (typeof (listener as Record<string, unknown>)[hook] !== 'function') continue;
          if (!COMBINABLE.has(hook)) throw new Error(`combinePlugins cannot combine a listener's ${hook}`);
          const calls = byHook.get(hook);
          if (calls) calls.push(listener);
          else byHook.set(hook, [listener]);
        }
      }
      const combined: Record<string, (...args: never[]) => unknown> = {};
      for (const [hook, calls] of byHook) {
        const call = (l: Listener<TContext>, args: unknown[]) => ((l as Record<string, unknown>)[hook] as (...a: unknown[]) => unknown).apply(l, args);
        if (hook === 'responseForOperation') {
          combined[hook] = async (...args: unknown[]) => {
            for (const l of calls) {
              const response = await call(l, args);
              if (response != null) return response;
            }
            return null;
          };
        } else if (calls.length === 1) {
          combined[hook] = (...args: unknown[]) => call(calls[0]!, args);
        } else {
          combined[hook] = async (...args: unknown[]) => {
            await Promise.all(calls.map((l) => call(l, args)));
          };
        }
      }
      return combined as Listener<TContext>;
    },
  };
}
