import { busFor, createLogger, createRedis, type EventBus, type Logger } from '@switchboard/kit';
import { randomUUID } from 'node:crypto';
import { bootstrap as startTickets, readTicketsConfig, type TicketsApp } from '@switchboard/tickets';
import { bootstrap as startConversations, readConversationsConfig, type ConversationsApp } from '@switchboard/conversations';
import { TEST_SECRETS, testDatabase, type TestDatabase } from '@switchboard/kit/src/testing';
import { bootstrap as startTenants, readTenantsConfig, seedDemo, DEMO_PASSWORD, type TenantsApp } from '@switchboard/tenants';
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
  /** Present when started with `{ tickets: true }`. */
  tickets?: TicketsApp;
  /** Present when started with `{ conversations: true }`. */
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

/** The tenants subgraph and the gateway on ephemeral ports, over a fresh schema with the demo data. */
export interface StackOptions {
  /** Redis for the subgraphs' L2 cache (default: REDIS_URL, if set). */
  redisUrl?: string;
  /** Also start the tickets subgraph. */
  tickets?: boolean;
  /** Also start the conversations subgraph (PostgreSQL store). */
  conversations?: boolean;
  /** The tickets subgraph's clock. */
  clock?: () => Date;
  /** The gateway's clock (rate limits, cached credentials), ms since the epoch. */
  gatewayNow?: () => number;
  /** Extra tenants variables (e.g. PASSWORD_SCRYPT_N). */
  tenantsEnv?: Record<string, string>;
}

/** Password cost in tests: 2^14 keeps logins fast (production's 2^17 only where a test asks for it). */
export const TEST_SCRYPT_N = 2 ** 14;

/**
 * The tenants subgraph (and tickets, when asked) and the gateway on ephemeral ports, over a
 * fresh schema with the demo data, sharing one event bus: a Redis stream of its own when
 * REDIS_URL is set, else in-process.
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
  const tenants = await startTenants(
    { ...readTenantsConfig({ ...common, TENANTS_PORT: '0', PASSWORD_SCRYPT_N: String(TEST_SCRYPT_N), ...options.tenantsEnv }), DATABASE_URL: db.url },
    { logger: logger.child({ service: 'tenants' }), bus },
  );
  const tickets = options.tickets
    ? await startTickets(
        { ...readTicketsConfig({ ...common, TICKETS_PORT: '0', SLA_CHECK_INTERVAL_MS: '0' }), DATABASE_URL: db.url },
        { logger: logger.child({ service: 'tickets' }), bus, clock: options.clock },
      )
    : undefined;
  const conversations = options.conversations
    ? await startConversations(
        { ...readConversationsConfig({ ...common, CONVERSATIONS_PORT: '0' }), DATABASE_URL: db.url },
        { logger: logger.child({ service: 'conversations' }), bus },
      )
    : undefined;
  await seedDemo(tenants.orm, { scryptN: TEST_SCRYPT_N });
  const gateway = await startGateway(
    readGatewayConfig({ ...TEST_SECRETS, GATEWAY_PORT: '0', HOST: '127.0.0.1', TENANTS_URL: tenants.url, TICKETS_URL: tickets?.url, CONVERSATIONS_URL: conversations?.url, SUBGRAPH_TIMEOUT_MS: '3000' }),
    logger.child({ service: 'gateway' }),
    { now: options.gatewayNow },
  );
  const tokens = new Map<string, string>();
  const stack: Stack = {
    gateway,
    tenants,
    tickets,
    conversations,
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
      await tickets?.close();
      await conversations?.close();
      await tenants.close();
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
