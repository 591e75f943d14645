import { IDENTITY_HEADER, signIdentity, type Logger } from '@switchboard/kit';
import type { RequestHandler } from 'express';

/** The provider headers an inbound webhook's signature check needs; nothing else is passed on. */
const FORWARDED = ['content-type', 'x-hub-signature-256', 'x-slack-signature', 'x-slack-request-timestamp', 'x-slack-retry-num'];
const MAX_BODY = 1024 * 1024;

/**
 * `/webhooks/<channel>/<id>` → the integrations subgraph's `/inbound/<channel>/<id>`: the raw
 * body (signatures are over the exact bytes), the provider's signature headers and query
 * string, with a service identity signed for integrations. The integrations subgraph checks
 * the provider's signature; the gateway only carries the request.
 */
export function inboundWebhooks(options: { integrationsUrl: () => string | undefined; internalSecret: string; timeoutMs: number; logger: Logger }): RequestHandler {
  return async (req, res) => {
    const match = /^\/([a-z]+)\/([0-9a-f-]{36})\/?$/i.exec(req.path);
    const base = options.integrationsUrl();
    if (!match || !base || (req.method !== 'GET' && req.method !== 'POST')) return void res.status(404).json({ error: 'not found' });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY) return void res.status(413).json({ error: 'body too large' });
      chunks.push(chunk);
    }
    const target = new URL(`/inbound/${match[1]!.toLowerCase()}/${match[2]}`, base);
    target.search = new URL(req.originalUrl, 'http://x').search;
    const headers: Record<string, string> = { [IDENTITY_HEADER]: signIdentity({ kind: 'service', roles: [], scopes: [], audience: 'integrations' }, options.internalSecret) };
    for (const name of FORWARDED) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    try {
      const answer = await fetch(target, { method: req.method, headers, body: req.method === 'POST' ? Buffer.concat(chunks) : undefined, signal: AbortSignal.timeout(options.timeoutMs) });
      res.status(answer.status);
      const type = answer.headers.get('content-type');
      if (type) res.type(type);
      res.send(Buffer.from(await answer.arrayBuffer()));
    } catch (error) {
      options.logger.warn('inbound webhook not delivered to integrations', { error: (error as Error).message });
      res.status(503).json({ error: 'try again' });
    }
  };
}
