import { createLogger, type Logger } from '@switchboard/kit';
import { testDatabase, type TestDatabase } from '@switchboard/kit/src/testing';
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
export async function startStack(options: { redisUrl?: string } = {}): Promise<Stack> {
  const db = testDatabase();
  const logs: Record<string, any>[] = [];
  const logger: Logger = createLogger({}, 'info', (line) => logs.push(JSON.parse(line)));
  const tenants = await startTenants(
    { ...readTenantsConfig({ TENANTS_PORT: '0', HOST: '127.0.0.1', DB_SCHEMA_PREFIX: db.schemaPrefix, REDIS_URL: options.redisUrl ?? process.env.REDIS_URL }), DATABASE_URL: db.url },
    logger.child({ service: 'tenants' }),
  );
  await seedDemo(tenants.orm);
  const gateway = await startGateway(
    readGatewayConfig({ GATEWAY_PORT: '0', HOST: '127.0.0.1', TENANTS_URL: tenants.url, SUBGRAPH_TIMEOUT_MS: '3000' }),
    logger.child({ service: 'gateway' }),
  );
  const tokens = new Map<string, string>();
  const stack: Stack = {
    gateway,
    tenants,
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
      await tenants.close();
      await db.drop();
    },
  };
  return stack;
}

export function codes(res: GraphQLResponse): unknown[] {
  return (res.errors ?? []).map((e) => e.extensions?.code);
}
