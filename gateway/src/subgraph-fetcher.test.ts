import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SubgraphTimeoutError, subgraphFetcher } from './subgraph-fetcher';

describe('subgraphFetcher', () => {
  let server: http.Server;
  let url: string;
  const sockets = new Set<string>();
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      sockets.add(`${req.socket.remotePort}`);
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (req.url === '/slow') return; // never answers
        res.setHeader('content-type', 'application/json');
        res.setHeader('cache-control', 'max-age=5');
        res.end(JSON.stringify({ data: { echo: JSON.parse(body), auth: req.headers['x-test'] ?? null } }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('posts the body with its headers, buffers the JSON answer, and reuses one kept-alive socket', async () => {
    const fetcher = subgraphFetcher({ timeoutMs: 2000 });
    sockets.clear();
    for (let i = 0; i < 3; i++) {
      const res = await fetcher(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test': 'yes' }, body: JSON.stringify({ query: `{ n${i} }` }) });
      expect(res.ok).toBe(true);
      expect(res.headers.get('Content-Type')).toBe('application/json');
      expect(res.headers.get('cache-control')).toBe('max-age=5');
      expect(await res.json()).toEqual({ data: { echo: { query: `{ n${i} }` }, auth: 'yes' } });
    }
    expect(sockets.size).toBe(1);
    fetcher.close();
  });

  it('gives up at its deadline with a TimeoutError (the data source answers UPSTREAM_UNAVAILABLE)', async () => {
    const fetcher = subgraphFetcher({ timeoutMs: 200 });
    await expect(fetcher(`${url}/slow`, { method: 'POST', body: '{}' })).rejects.toBeInstanceOf(SubgraphTimeoutError);
    fetcher.close();
  });

  it('rejects when nothing listens', async () => {
    const fetcher = subgraphFetcher({ timeoutMs: 2000 });
    await expect(fetcher('http://127.0.0.1:1/graphql', { method: 'POST', body: '{}' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    fetcher.close();
  });
});
