import { TEST_SECRETS } from '@switchboard/kit/src/testing';
import { IDENTITY_HEADER, signIdentity } from '@switchboard/kit';
import { codes, post, startStack, type Stack } from './stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

const secret = () => TEST_SECRETS.INTERNAL_SECRET;
const userQuery = { query: '{ users { totalCount nodes { email } } }' };

describe('a subgraph reached around the gateway', () => {
  it('refuses a request with no identity signature', async () => {
    const res = await post(stack.tenants.url, userQuery);
    expect(res.status).toBe(401);
    expect(codes(res)).toEqual(['UNAUTHENTICATED']);
    expect(res.data).toBeUndefined();
  });

  it('refuses a forged signature', async () => {
    const identity = { kind: 'user' as const, tenantId: '00000000-0000-0000-0000-000000000000', userId: 'x', roles: ['OWNER' as const], scopes: [] };
    const forged = signIdentity(identity, 'guessed-secret-guessed-secret');
    const tampered = signIdentity(identity, secret()).replace(/^[^.]+/, Buffer.from(JSON.stringify({ ...identity, tenantId: 'other' })).toString('base64url'));
    for (const header of [forged, tampered, 'garbage', `${forged}.extra`]) {
      const res = await post(stack.tenants.url, userQuery, { [IDENTITY_HEADER]: header });
      expect(res.status).toBe(401);
      expect(codes(res)).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('refuses an expired signature', async () => {
    const old = signIdentity({ kind: 'anonymous', roles: [], scopes: [] }, secret(), 60, Date.now() - 120_000);
    const res = await post(stack.tenants.url, { query: 'mutation { login(email: "admin@acme.test", password: "switchboard-demo") { token } }' }, { [IDENTITY_HEADER]: old });
    expect(res.status).toBe(401);
    expect(res.data).toBeUndefined();
  });

  it('refuses the internal principal route to anything but the gateway’s service identity', async () => {
    const asUser = signIdentity({ kind: 'user', tenantId: 't', userId: 'u', roles: ['OWNER'], scopes: [], audience: 'tenants' }, secret());
    const res = await fetch(stack.tenants.url.replace('/graphql', '/internal/principal'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: asUser },
      body: JSON.stringify({ apiKey: 'sb_x_y' }),
    });
    expect(res.status).toBe(403);
  });
});

describe('unexpected failures', () => {
  it('reach the client as INTERNAL_SERVER_ERROR with no stack or SQL, logged with the trace id', async () => {
    const admin = await stack.as('admin@acme.test');
    const conn = stack.tenants.orm.em.getConnection();
    const table = `"${stack.db.schemaPrefix}tenants"."api_key"`;
    await conn.execute(`alter table ${table} rename to api_key_gone`);
    let res;
    try {
      res = await stack.gql(`{ apiKeys { id } }`, {}, { ...admin, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    } finally {
      await conn.execute(`alter table "${stack.db.schemaPrefix}tenants"."api_key_gone" rename to api_key`);
    }
    expect(res.data).toEqual({ apiKeys: null }); // the list is nullable: a failed field leaves the rest of an answer standing
    expect(res.errors).toHaveLength(1);
    const [error] = res.errors!;
    expect(error!.message).toBe('Internal server error');
    expect(error!.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', traceId: '0af7651916cd43dd8448eb211c80319c' });
    const body = JSON.stringify(res);
    for (const leak of ['select', 'api_key', 'relation', 'stack', '.ts:', 'at ']) expect(body.toLowerCase()).not.toContain(leak);

    const logged = stack.logs.find((l) => l.service === 'tenants' && l.msg === 'unexpected error');
    expect(logged).toMatchObject({ level: 'error', traceId: '0af7651916cd43dd8448eb211c80319c' });
    // The log says what failed (class, SQLSTATE) and where (the stack's frames), never the
    // driver's message: the SQL with its bound values.
    expect(logged!.error).toMatchObject({ name: 'TableNotFoundException', sqlState: '42P01' });
    expect(JSON.stringify(logged!.error).toLowerCase()).not.toMatch(/select |from "|where /);
  });

  it('leave no "Did you mean" hint in validation errors', async () => {
    const res = await stack.gql(`{ usr { totalCount } }`, {}, await stack.as('admin@acme.test'));
    expect(res.status).toBe(400);
    expect(codes(res)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(res.errors![0]!.message).not.toMatch(/did you mean/i);
  });
});

describe('observability', () => {
  it('serves /healthz, /readyz and Prometheus /metrics on the gateway and the subgraph', async () => {
    await stack.gql(`query Colleagues { users { totalCount } }`, {}, await stack.as('admin@acme.test'));
    for (const base of [stack.gateway.url, stack.tenants.url].map((u) => u.replace('/graphql', ''))) {
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toMatch(/graphql_requests_total\{operation="Colleagues(__tenants__\d+)?",service="(gateway|tenants)"\} [1-9]/);
      expect(metrics).toContain('graphql_request_duration_seconds_bucket');
    }
  });

  it('carries the caller’s trace id from the gateway to the subgraph logs', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await stack.gql(`query TraceMe { tenant { slug } }`, {}, { ...(await stack.as('admin@acme.test')), traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    // The gateway names its fetch to a subgraph after the operation: TraceMe__tenants__0.
    const lines = stack.logs.filter((l) => l.traceId === traceId && String(l.operationName).startsWith('TraceMe'));
    expect(lines.map((l) => l.service).sort()).toEqual(['gateway', 'tenants']);
    expect(lines.find((l) => l.service === 'tenants')!.tenantId).toBeDefined();
  });

  it('counts errors by code', async () => {
    await stack.gql(`{ me { id } }`);
    const metrics = await (await fetch(stack.gateway.url.replace('/graphql', '/metrics'))).text();
    expect(metrics).toMatch(/graphql_errors_total\{code="UNAUTHENTICATED",service="gateway"\} [1-9]/);
  });
});

describe('a subgraph that is down', () => {
  it('yields UPSTREAM_UNAVAILABLE, and the gateway keeps serving', async () => {
    const admin = await stack.as('admin@acme.test');
    const analyst = await stack.as('analyst@acme.test'); // signed in, never used: unknown to the gateway's cache
    await stack.gql(`{ me { id } }`, {}, admin); // the gateway now remembers who admin is
    await stack.tenants.server.stop();

    // A caller the gateway knows: the request runs, the tenants fields are null with the error.
    const known = await stack.gql(`{ me { id } }`, {}, admin);
    expect(known.status).toBe(200);
    expect(known.data).toEqual({ me: null });
    expect(known.errors![0]!.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', service: 'tenants' });

    // A caller it cannot check: the whole request is refused with 503.
    const unknown = await stack.gql(`{ me { id } }`, {}, analyst);
    expect(unknown.status).toBe(503);
    expect(codes(unknown)).toEqual(['UPSTREAM_UNAVAILABLE']);

    const anonymous = await stack.gql(`mutation { login(email: "admin@acme.test", password: "switchboard-demo") { token } }`);
    expect(anonymous.data).toBeNull(); // login is non-null, so its null reaches the root
    expect(anonymous.errors![0]!.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', service: 'tenants' });
    expect((await fetch(stack.gateway.url.replace('/graphql', '/healthz'))).status).toBe(200);
  });
});
