import { busFor, createLogger, createRedis, loadRegistry, parseConfig, seedSubgraphs, withDependencies, type EventBus, type Logger, type RegisteredSubgraph, type RunningSubgraph } from '@switchboard/kit';
import { randomUUID } from 'node:crypto';
import type { TicketsApp } from '@switchboard/tickets';
import type { ConversationsApp } from '@switchboard/conversations';
import { TEST_SECRETS, testDatabase, type TestDatabase } from '@switchboard/kit/src/testing';
import { DEMO_PASSWORD, type TenantsApp } from '@switchboard/tenants';
import { bootstrap as startGateway, readGatewayConfig, type GatewayApp } from '../src/app';

export interface GraphQLResponse<T = any> {
  status: number;
  headers: Headers;
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

export interface Stack {
  gateway: GatewayApp;
  tenants: TenantsApp;
  /** Every subgraph this stack started, by name (from the registry). */
  subgraphs: Record<string, RunningSubgraph>;
  /** Present when started (`subgraphs: ['tickets']` or `{ tickets: true }`). */
  tickets?: TicketsApp;
  /** Present when started (`subgraphs: ['conversations']` or `{ conversations: true }`). */
  conversations?: ConversationsApp;
  bus: EventBus;
  db: TestDatabase;
  /** Every JSON log line the services wrote, parsed. */
  logs: Record<string, any>[];
  gql<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
  /** Logs in a demo user and returns the Authorization header for them. */
  as(email: string): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<GraphQLResponse> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const json = (await res.json()) as Omit<GraphQLResponse, 'status' | 'headers'>;
  return { status: res.status, headers: res.headers, ...json };
}

export interface StackOptions {
  /**
   * Subgraphs to start besides tenants (which the gateway always needs), by registry name;
   * what they depend on starts too. `'all'`: every subgraph of the registry.
   */
  subgraphs?: string[] | 'all';
  /** Same as `subgraphs: ['tickets']`. */
  tickets?: boolean;
  /** Same as `subgraphs: ['conversations']` (PostgreSQL store). */
  conversations?: boolean;
  /** Redis for the subgraphs' L2 cache (default: REDIS_URL, if set). */
  redisUrl?: string;
  /** The subgraphs' clock (tickets reads it). */
  clock?: () => Date;
  /** The gateway's clock (rate limits, cached credentials), ms since the epoch. */
  gatewayNow?: () => number;
  /** Extra gateway environment (e.g. `{ RATE_LIMIT_ENABLED: 'false' }`). */
  gatewayEnv?: Record<string, string>;
  /** Which subgraphs write their demo data (default: tenants only, the demo users; `'all'`: what `npm start` seeds). */
  seed?: string[] | 'all';
  /** The registry to start from (default: this repository's; tests of the scaffolder add a folder). */
  registry?: RegisteredSubgraph[];
  /** The supergraph the gateway loads (default: the checked-in one). */
  supergraphPath?: string;
  /** A database URL per subgraph instead of the test database's (the same database, another role: fault tests). */
  databaseUrls?: Record<string, string>;
  /** Extra tenants variables (e.g. PASSWORD_SCRYPT_N). */
  tenantsEnv?: Record<string, string>;
  /** Extra variables per subgraph, by registry name (e.g. `{ integrations: { SLACK_API_BASE_URL: … } }`). */
  subgraphEnv?: Record<string, Record<string, string>>;
}

/** Password cost in tests: 2^14 keeps logins fast (production's 2^17 only where a test asks for it). */
export const TEST_SCRYPT_N = 2 ** 14;

/**
 * The tenants subgraph (and the others asked for, from the registry) and the gateway on
 * ephemeral ports, over a fresh schema with the demo data, sharing one event bus: a Redis
 * stream of its own when REDIS_URL is set, else in-process. Subgraphs start, and seed, in
 * the registry's start order.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const db = testDatabase();
  const logs: Record<string, any>[] = [];
  const logger: Logger = createLogger({}, 'info', (line) => logs.push(JSON.parse(line)));
  const redisUrl = options.redisUrl ?? process.env.REDIS_URL;
  const busRedis = process.env.REDIS_URL ? createRedis(process.env.REDIS_URL) : undefined;
  const stream = `test:events:${randomUUID()}`;
  const bus = busFor(busRedis, stream);
  const common = { ...TEST_SECRETS, HOST: '127.0.0.1', DB_SCHEMA_PREFIX: db.schemaPrefix, REDIS_URL: redisUrl, EVENT_STREAM: stream };
  const registry = options.registry ?? loadRegistry();
  const asked = options.subgraphs === 'all' ? registry.map((s) => s.name) : [...(options.subgraphs ?? [])];
  if (options.tickets) asked.push('tickets');
  if (options.conversations) asked.push('conversations');
  const chosen = withDependencies(registry, ['tenants', ...asked]);

  const started: { definition: RegisteredSubgraph; app: RunningSubgraph }[] = [];
  const stopStarted = async () => {
    for (const { app } of [...started].reverse()) await app.close().catch(() => {});
  };
  const seeds = options.seed ?? ['tenants'];
  try {
    for (const definition of chosen) {
      // `<NAME>_URL` of the subgraphs started before it (integrations writes to conversations).
      const before = Object.fromEntries(started.map((s) => [s.definition.urlVariable, s.app.url]));
      const config = parseConfig(definition.env, { ...common, ...before, ...definition.testEnv, ...(definition.name === 'tenants' ? options.tenantsEnv : {}), ...options.subgraphEnv?.[definition.name], [definition.portVariable]: '0' });
      const app = await definition.bootstrap({ ...config, DATABASE_URL: options.databaseUrls?.[definition.name] ?? db.url }, { logger: logger.child({ service: definition.name }), bus, clock: options.clock });
      started.push({ definition, app });
    }
    await seedSubgraphs(started, logger, (name) => seeds === 'all' || seeds.includes(name));
  } catch (error) {
    await stopStarted();
    await bus.close();
    busRedis?.disconnect();
    throw error;
  }
  const subgraphs = Object.fromEntries(started.map(({ definition, app }) => [definition.name, app]));
  const urls = Object.fromEntries(started.map(({ definition, app }) => [definition.urlVariable, app.url]));
  const gateway = await startGateway(
    readGatewayConfig({
      ...TEST_SECRETS,
      GATEWAY_PORT: '0',
      HOST: '127.0.0.1',
      // Generous: on a loaded CI machine (both database modes, parallel jest workers) a write to the
      // embedded PostgreSQL took over 3 s once, and a test failed on a timeout it was not about.
      SUBGRAPH_TIMEOUT_MS: '15000',
      ...(options.supergraphPath ? { SUPERGRAPH_PATH: options.supergraphPath } : {}),
      ...urls,
      ...options.gatewayEnv,
    }),
    logger.child({ service: 'gateway' }),
    { now: options.gatewayNow },
  );
  const tokens = new Map<string, string>();
  const stack: Stack = {
    gateway,
    tenants: subgraphs.tenants as TenantsApp,
    subgraphs,
    tickets: subgraphs.tickets as TicketsApp | undefined,
    conversations: subgraphs.conversations as ConversationsApp | undefined,
    bus,
    db,
    logs,
    gql: (query, variables, headers) => post(gateway.url, { query, variables }, headers) as never,
    async as(email) {
      if (!tokens.has(email)) {
        const res = await stack.gql(`mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }`, { e: email, p: DEMO_PASSWORD });
        if (!res.data?.login) throw new Error(`login failed for ${email}: ${JSON.stringify(res.errors)}`);
        tokens.set(email, res.data.login.token);
      }
      return { authorization: `Bearer ${tokens.get(email)}` };
    },
    async close() {
      await gateway.close();
      await stopStarted();
      await bus.close();
      if (busRedis) {
        await busRedis.del(stream).catch(() => {});
        busRedis.disconnect();
      }
      await db.drop();
    },
  };
  return stack;
}

export function codes(res: GraphQLResponse): unknown[] {
  return (res.errors ?? []).map((e) => e.extensions?.code);
}

