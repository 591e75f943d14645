import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { IDENTITY_HEADER } from '@switchboard/kit';
import express from 'express';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './processes';

export interface Target {
  name: string;
  url: string;
  pid?: number;
  close(): Promise<void>;
}

/** The checked-in supergraph with each subgraph's URL replaced by where it runs now. */
export function supergraphFor(sdl: string, urls: Record<string, string>): string {
  let out = sdl;
  for (const [name, url] of Object.entries(urls)) {
    out = out.replace(new RegExp(`(@join__graph\\(name: "${name}", url: ")[^"]+(")`), `$1${url}$2`);
  }
  return out;
}

/**
 * A stock @apollo/gateway in Apollo Server 5, untuned: the only addition is passing the
 * caller's identity header through, which the subgraphs require: the client sends one per
 * subgraph (`<IDENTITY_HEADER>-<subgraph>`, each signed for that audience).
 */
export async function startStockApollo(supergraphSdl: string, port = 0): Promise<Target> {
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) =>
      new RemoteGraphQLDataSource({
        url,
        willSendRequest({ request, context }) {
          request.http!.headers.set(IDENTITY_HEADER, (context as { identity: Record<string, string> }).identity[name] ?? '');
        },
      }),
  });
  const server = new ApolloServer({ gateway });
  await server.start();
  const app = express();
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use('/graphql', express.json(), expressMiddleware(server, {
        context: async ({ req }) => ({
          identity: Object.fromEntries(
            Object.entries(req.headers)
              .filter(([key]) => key.startsWith(`${IDENTITY_HEADER}-`))
              .map(([key, value]) => [key.slice(IDENTITY_HEADER.length + 1), String(value)]),
          ),
        }),
      }));
  const httpServer = http.createServer(app);
  await new Promise<void>((r) => httpServer.listen(port, '127.0.0.1', r));
  return {
    name: 'stock @apollo/gateway',
    url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/graphql`,
    close: async () => {
      await server.stop();
      await new Promise((r) => httpServer.close(r));
    },
  };
}


/** Hive Gateway from its CLI, serving the same supergraph; headers passed through by its config. */
export async function startHive(supergraphSdl: string, rustPlanner: boolean): Promise<Target> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-hive-'));
  writeFileSync(path.join(dir, 'supergraph.graphql'), supergraphSdl);
  writeFileSync(
    path.join(dir, 'gateway.config.cjs'),
    `module.exports.gatewayConfig = {
  logging: 'error',
  propagateHeaders: {
    fromClientToSubgraphs({ request, subgraphName }) {
      return { '${IDENTITY_HEADER}': request.headers.get('${IDENTITY_HEADER}-' + subgraphName) };
    },
  },
};\n`,
  );
  const port = await freePort();
  const bin = path.resolve(__dirname, '../../node_modules/.bin/hive-gateway');
  const args = ['supergraph', path.join(dir, 'supergraph.graphql'), '--port', String(port), '--host', '127.0.0.1', '-c', path.join(dir, 'gateway.config.cjs')];
  if (rustPlanner) args.push('--hive-router-runtime');
  const child: ChildProcess = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const url = `http://127.0.0.1:${port}/graphql`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`Hive Gateway exited: ${stderr.slice(0, 500)}`);
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
      if (res.ok) break;
    } catch {
      /* not up yet */
    }
    if (i > 300) throw new Error(`Hive Gateway did not start: ${stderr.slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name: rustPlanner ? 'Hive Gateway (Rust planner)' : 'Hive Gateway (JS planner)',
    url,
    pid: child.pid,
    close: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** One subgraph fetch a query plan made: to which subgraph, what it sent. */
export interface PlannedFetch {
  subgraph: string;
  query: string;
  variables: Record<string, unknown>;
}

/**
 * The subgraph fetches @apollo/gateway's query plan makes for `query`, in the order it makes
 * them, with their variables (an entity fetch's `representations` included): recorded by
 * running the query once through an in-process gateway over the real subgraphs. The
 * benchmark's physical limit sends exactly these, directly, one after the other.
 */
export async function planFetches(supergraphSdl: string, query: string, variables: Record<string, unknown>, headerFor: (subgraph: string) => string): Promise<PlannedFetch[]> {
  const fetches: PlannedFetch[] = [];
  class Recording extends RemoteGraphQLDataSource {
    override async process(options: Parameters<RemoteGraphQLDataSource['process']>[0]) {
      fetches.push({ subgraph: this.name, query: options.request.query!, variables: structuredClone(options.request.variables ?? {}) });
      return super.process(options);
    }
    constructor(readonly name: string, url: string) {
      super({ url, willSendRequest: ({ request }) => void request.http!.headers.set(IDENTITY_HEADER, headerFor(name)) });
    }
  }
  const gateway = new ApolloGateway({ supergraphSdl, buildService: ({ name, url }) => new Recording(name, url!) });
  const server = new ApolloServer({ gateway });
  await server.start();
  try {
    const res = await server.executeOperation({ query, variables });
    if (res.body.kind !== 'single' || res.body.singleResult.errors) throw new Error(`planning ${query} failed: ${JSON.stringify(res.body).slice(0, 300)}`);
  } finally {
    await server.stop();
  }
  return fetches;
}
