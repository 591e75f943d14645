import type { Logger } from '@switchboard/kit';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { GraphQLError } from 'graphql';
import { edgeError, type Refuse } from './errors';

/** Request bodies larger than this are refused with 413 before anything parses them. */
export const MAX_BODY_BYTES = 256 * 1024;

/** The only body the API reads. Forms and text/plain are what a cross-site page can send without a preflight. */
const JSON_TYPES = ['application/json'];

/**
 * The HTTP part of the edge, before anyone is authenticated or anything is parsed as GraphQL:
 *  - GET and POST only (405 otherwise);
 *  - POST bodies must be `application/json` (415 otherwise: no text/plain or form bodies, the
 *    kinds a cross-site form can send), at most 256 KB (413), valid JSON (400), one operation —
 *    a JSON array (batching) is refused with 400;
 *  - a browser opening `GET /graphql` gets a short page pointing to `/explorer`, no IDE.
 * Apollo's own CSRF prevention stays on behind this (GET needs a preflighted header).
 * Every refusal is a JSON GraphQL error body with code BAD_REQUEST.
 */
export function httpGuard(refuse: Refuse): RequestHandler[] {
  const json = express.json({ limit: MAX_BODY_BYTES, type: () => true, strict: false });
  return [
    (req, res, next) => {
      if (req.method === 'GET' || req.method === 'HEAD') {
        if (wantsPage(req)) {
          res.status(200).type('html').setHeader('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
          res.send(GRAPHQL_PAGE);
          return;
        }
        req.body = {};
        next();
        return;
      }
      if (req.method !== 'POST') {
        refuse(res, 405, edgeError('BAD_REQUEST', `${req.method} is not supported: send POST (or GET for queries)`), { allow: 'GET, POST' });
        return;
      }
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (!JSON_TYPES.includes(type)) {
        refuse(res, 415, edgeError('BAD_REQUEST', 'Send the operation as JSON with `content-type: application/json`'));
        return;
      }
      next();
    },
    (req, res, next) => {
      if (req.method !== 'POST') return next();
      json(req, res, (error?: unknown) => {
        if (error) return bodyError(error, refuse)(req, res, next);
        const body: unknown = req.body;
        if (Array.isArray(body)) {
          refuse(res, 'code', edgeError('BAD_REQUEST', 'Batched operations are not supported: send one operation per request'));
          return;
        }
        if (body === null || typeof body !== 'object') {
          refuse(res, 'code', edgeError('BAD_REQUEST', 'The body must be a JSON object: { "query": "...", "variables": { ... } }'));
          return;
        }
        next();
      });
    },
  ];
}

/** body-parser's errors, as JSON GraphQL errors with their HTTP status. */
function bodyError(error: unknown, refuse: Refuse): RequestHandler {
  return (_req, res) => {
    const e = error as { type?: string; status?: number };
    if (e.type === 'entity.too.large') {
      refuse(res, 413, edgeError('BAD_REQUEST', `The request body is larger than ${MAX_BODY_BYTES / 1024} KB`, { maxBytes: MAX_BODY_BYTES }));
    } else if (e.type === 'entity.parse.failed') {
      refuse(res, 'code', edgeError('BAD_REQUEST', 'The request body is not valid JSON'));
    } else if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') {
      refuse(res, 415, edgeError('BAD_REQUEST', 'Unsupported body encoding or charset: send UTF-8 JSON'));
    } else {
      refuse(res, e.status && e.status >= 400 && e.status < 500 ? e.status : 400, edgeError('BAD_REQUEST', 'The request body could not be read'));
    }
  };
}

function wantsPage(req: express.Request): boolean {
  const url = new URL(req.originalUrl, 'http://x');
  if (url.searchParams.has('query') || url.searchParams.has('extensions') || url.searchParams.has('documentId')) return false;
  return req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html';
}

const GRAPHQL_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchboard GraphQL API</title></head>
<body style="font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem">
<h1>Switchboard GraphQL API</h1>
<p>This endpoint speaks GraphQL over HTTP: <code>POST</code> JSON to it.</p>
<p>To explore the schema and run queries in a browser, open the <a href="/explorer">explorer</a>.</p>
</body></html>
`;

/**
 * The last handler of the app: anything thrown outside GraphQL (a bug in a middleware) is a
 * JSON INTERNAL_SERVER_ERROR with the trace id, never express's HTML page with a stack.
 */
export function lastResortErrorHandler(refuse: Refuse, logger: Logger): ErrorRequestHandler {
  return (error, _req, res, _next) => {
    if (res.headersSent) {
      logger.error('unexpected error after the response started', { error });
      res.end();
      return;
    }
    // An error with no code of ours: formatError masks it as INTERNAL_SERVER_ERROR with the
    // trace id, and logs it with its stack.
    refuse(res, 500, new GraphQLError('Internal server error', { originalError: error instanceof Error ? error : new Error(String(error)) }));
  };
}
