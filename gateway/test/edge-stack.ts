import { createLogger, type Logger } from '@switchboard/kit';
import { TEST_SECRETS } from '@switchboard/kit/src/testing';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { bootstrap as startGateway, readGatewayConfig, type GatewayApp, type GatewayConfig, type GatewayOptions } from '../src/app';
import { gatewayEnv } from '../src/env';
import { post, startStack, type GraphQLResponse, type Stack } from './stack';

/**
 * The standard stack (tenants + demo data + a gateway), plus gateways of our own with edge
 * settings changed through their environment (limits, Redis, rate limits) and an injected
 * clock. They reuse the standard gateway's configuration, so every subgraph it knows is
 * known to them too.
 */
export interface EdgeStack {
  base: Stack;
  /** The first gateway started with the edge settings. */
  gateway: GatewayApp;
  logs: Record<string, any>[];
  /** Starts another gateway (a second replica, or one with other settings). */
  startGateway(env?: Record<string, string>, options?: GatewayOptions): Promise<GatewayApp>;
  /** POSTs an operation to `gateway` (or `to`). */
  gql<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>, to?: GatewayApp): Promise<GraphQLResponse<T>>;
  /** POSTs any JSON body. */
  send(body: unknown, headers?: Record<string, string>, to?: GatewayApp): Promise<GraphQLResponse>;
  as(email: string): Promise<Record<string, string>>;
  /** Creates an API key in a demo tenant and returns its header. */
  apiKey(ownerEmail: string, kind: 'FIRST_PARTY' | 'PARTNER', scopes: string[]): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export async function startEdgeStack(env: Record<string, string> = {}, options: GatewayOptions = {}): Promise<EdgeStack> {
  const base = await startStack();
  const logs: Record<string, any>[] = [];
  const logger: Logger = createLogger({ service: 'gateway' }, 'info', (line) => logs.push(JSON.parse(line)));
  const started: GatewayApp[] = [];
  async function start(overrides: Record<string, string> = {}, opts: GatewayOptions = options): Promise<GatewayApp> {
    const parsed = readGatewayConfig({ ...TEST_SECRETS, ...overrides });
    const config = { ...base.gateway.config } as GatewayConfig;
    for (const name of Object.keys(overrides)) if (name in gatewayEnv) (config as Record<string, unknown>)[name] = parsed[name as keyof GatewayConfig];
    // `<NAME>_URL` overrides join the ones the standard gateway already has.
    config.SUBGRAPH_URLS = { ...base.gateway.config.SUBGRAPH_URLS, ...parsed.SUBGRAPH_URLS };
    const app = await startGateway(config, logger, opts);
    started.push(app);
    return app;
  }
  const gateway = await start(env);
  const stack: EdgeStack = {
    base,
    gateway,
    logs,
    startGateway: (more = env, opts = options) => start(more, opts),
    gql: (query, variables, headers, to = gateway) => post(to.url, { query, variables }, headers) as never,
    send: (body, headers, to = gateway) => post(to.url, body, headers),
    as: (email) => base.as(email),
    async apiKey(ownerEmail, kind, scopes) {
      const res = await base.gql(
        `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`,
        { input: { name: `${kind.toLowerCase()} ${randomBytes(3).toString('hex')}`, kind, scopes } },
        await base.as(ownerEmail),
      );
      if (!res.data?.createApiKey) throw new Error(`createApiKey failed: ${JSON.stringify(res.errors)}`);
      return { 'x-api-key': res.data.createApiKey.secret };
    },
    async close() {
      for (const g of started) await g.close();
      await base.close();
    },
  };
  return stack;
}

/**
 * The Redis the tests may use: REDIS_URL when set; else the local one when it answers (so
 * tests that need two gateways sharing Redis still run on a laptop); else undefined. Synchronous,
 * so a test file can choose `it` or `it.skip` when it loads.
 */
export function sharedRedisUrl(): string | undefined {
  if (process.env.REDIS_URL) return process.env.REDIS_URL;
  const probe = `require('net').connect(6379, '127.0.0.1').on('connect', () => process.exit(0)).on('error', () => process.exit(1)).setTimeout(500, () => process.exit(1))`;
  return spawnSync(process.execPath, ['-e', probe], { timeout: 3_000 }).status === 0 ? 'redis://127.0.0.1:6379' : undefined;
}

/** A Redis key prefix no other test file (or run) uses. */
export function uniquePrefix(file: string): string {
  return `test:${file}:${randomBytes(4).toString('hex')}:`;
}
