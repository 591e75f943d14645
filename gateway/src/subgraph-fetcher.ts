import type { FetcherRequestInit, FetcherResponse } from '@apollo/utils.fetcher';
import http from 'node:http';
import https from 'node:https';

/**
 * The gateway's HTTP client for subgraph fetches: node:http over keep-alive agents, the
 * whole body buffered, a deadline for the whole exchange. It replaces
 * RemoteGraphQLDataSource's default (make-fetch-happen → minipass-fetch → @npmcli/agent),
 * whose per-request cost the profile showed: a Request and Headers object per layer, URL
 * parsing, and agent-base's `isSecureEndpoint`, which reads `new Error().stack` on every
 * request (with source maps on, a source-map lookup per frame). docs/architecture.md,
 * "Performance".
 */
export interface SubgraphFetcherOptions {
  /** The deadline of one fetch, connection to last byte. */
  timeoutMs: number;
  /** Open sockets per subgraph origin at most (further fetches queue for one). */
  maxSockets?: number;
}

/** Thrown when a fetch passes its deadline: the data source answers UPSTREAM_UNAVAILABLE. */
export class SubgraphTimeoutError extends Error {
  override name = 'TimeoutError';
}

class BufferedResponse implements FetcherResponse {
  readonly ok: boolean;
  readonly redirected = false;
  readonly bodyUsed = false;
  readonly headers: FetcherResponse['headers'];
  constructor(
    readonly url: string,
    readonly status: number,
    readonly statusText: string,
    raw: http.IncomingHttpHeaders,
    private readonly body: Buffer,
  ) {
    this.ok = status >= 200 && status < 300;
    const get = (name: string): string | null => {
      const v = raw[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
    };
    this.headers = { get, has: (name: string) => get(name) !== null } as unknown as FetcherResponse['headers'];
  }
  async text(): Promise<string> {
    return this.body.toString('utf8');
  }
  async arrayBuffer(): Promise<ArrayBuffer> {
    return this.body.buffer.slice(this.body.byteOffset, this.body.byteOffset + this.body.byteLength) as ArrayBuffer;
  }
  async json(): Promise<any> {
    return JSON.parse(this.body.toString('utf8'));
  }
  clone(): FetcherResponse {
    throw new Error('not supported');
  }
}

export type SubgraphFetcher = (url: string, init: FetcherRequestInit & { idempotent?: boolean }) => Promise<FetcherResponse>;

export function subgraphFetcher(options: SubgraphFetcherOptions): SubgraphFetcher & { close(): void } {
  const agentOptions: http.AgentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 128, scheduling: 'lifo' };
  const agents = { 'http:': new http.Agent(agentOptions), 'https:': new https.Agent(agentOptions) };
  const targets = new Map<string, { mod: typeof http | typeof https; agent: http.Agent; hostname: string; port: string; path: string }>();
  const target = (url: string) => {
    let t = targets.get(url);
    if (!t) {
      const u = new URL(url);
      const secure = u.protocol === 'https:';
      t = { mod: secure ? https : http, agent: secure ? agents['https:'] : agents['http:'], hostname: u.hostname, port: u.port, path: `${u.pathname}${u.search}` };
      targets.set(url, t);
    }
    return t;
  };

  const once = (url: string, init: FetcherRequestInit, retry: boolean): Promise<FetcherResponse> =>
    new Promise((resolve, reject) => {
      const t = target(url);
      const body = init.body ?? '';
      const headers: http.OutgoingHttpHeaders = { ...(init.headers as Record<string, string>), 'content-length': Buffer.byteLength(body) };
      let settled = false;
      const req = t.mod.request({ hostname: t.hostname, port: t.port, path: t.path, method: init.method ?? 'POST', headers, agent: t.agent });
      const timer = setTimeout(() => req.destroy(new SubgraphTimeoutError(`no answer from ${url} within ${options.timeoutMs} ms`)), options.timeoutMs);
      const fail = (error: Error & { code?: string }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        // A kept-alive socket the server closed just as we reused it: the request never
        // reached it. Queries are retried once on a fresh socket; mutations are not.
        if (retry && req.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) once(url, init, false).then(resolve, reject);
        else reject(error);
      };
      req.on('error', fail);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', fail);
        res.on('aborted', () => fail(new Error(`${url} closed the response early`)));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(new BufferedResponse(url, res.statusCode ?? 0, res.statusMessage ?? '', res.headers, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
        });
      });
      req.end(body);
    });

  const fetcher = ((url: string, init: FetcherRequestInit & { idempotent?: boolean }) => once(url, init, init.idempotent === true)) as SubgraphFetcher & { close(): void };
  fetcher.close = () => {
    agents['http:'].destroy();
    agents['https:'].destroy();
  };
  return fetcher;
}
