import { createLogger, IDENTITY_HEADER, loadRegistry, parseConfig, signIdentity, verifyIdentity } from '@switchboard/kit';
import { TEST_SECRETS } from '@switchboard/kit/src/testing';
import net from 'node:net';
import { bootstrap as startGateway, readGatewayConfig } from '../src/app';
import { SubgraphDataSource } from '../src/data-source';
import { codes, post, startStack, type Stack } from './stack';

/**
 * What binds a service: the signed identity header is good for one subgraph, one request
 * and one delivery; secrets are real unless in demo mode; addresses are loopback by
 * default; a taken port names the variable to change.
 */
const silent = createLogger({}, 'silent');
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ tickets: true, conversations: true });
});
afterAll(() => stack.close());

const COUNTS = `{ ticketCounts { status count } }`;
const CONVERSATIONS = { query: `{ conversations(first: 1) { totalCount } }` };

/** The identity headers the gateway sends while `fn` runs, by subgraph. */
async function capture(fn: () => Promise<unknown>): Promise<{ subgraph: string; header: string }[]> {
  const sent: { subgraph: string; header: string }[] = [];
  const original = SubgraphDataSource.prototype.headersFor;
  const spy = jest.spyOn(SubgraphDataSource.prototype, 'headersFor').mockImplementation(function (this: SubgraphDataSource, context, extra) {
    const headers = original.call(this, context, extra);
    sent.push({ subgraph: this.name, header: headers[IDENTITY_HEADER]! });
    return headers;
  });
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
  return sent;
}

describe('the identity header', () => {
  it('is signed per fetch for its subgraph and the client request, and echoed by the subgraph', async () => {
    const admin = await stack.as('admin@acme.test');
    let requestId = '';
    const sent = await capture(async () => {
      const res = await stack.gql(COUNTS, {}, admin);
      expect(res.errors).toBeUndefined();
      requestId = res.headers.get('x-request-id')!;
    });
    const forTickets = sent.filter((s) => s.subgraph === 'tickets');
    expect(forTickets).toHaveLength(1);
    const verified = verifyIdentity(forTickets[0]!.header, TEST_SECRETS.INTERNAL_SECRET, { audience: 'tickets' });
    expect(verified).toMatchObject({ ok: true, identity: { kind: 'user', audience: 'tickets', requestId } });
    if (!verified.ok) return;
    expect(verified.identity.exp - Date.now() / 1000).toBeLessThanOrEqual(15);
    // The subgraph logs and echoes the signed request id, whatever the plain header says.
    const fresh = signIdentity({ ...verified.identity, requestId: 'signed-request-id' }, TEST_SECRETS.INTERNAL_SECRET);
    const direct = await post(stack.tickets!.url, { query: COUNTS }, { [IDENTITY_HEADER]: fresh, 'x-request-id': 'some-other-id' });
    expect(direct.errors).toBeUndefined();
    expect(direct.headers.get('x-request-id')).toBe('signed-request-id');
  });

  it('captured on its way to tickets, is refused by conversations and by tickets itself the second time', async () => {
    const admin = await stack.as('admin@acme.test');
    const sent = await capture(() => stack.gql(COUNTS, {}, admin));
    const header = sent.find((s) => s.subgraph === 'tickets')!.header;

    const elsewhere = await post(stack.conversations!.url, CONVERSATIONS, { [IDENTITY_HEADER]: header });
    expect(elsewhere.status).toBe(401);
    expect(codes(elsewhere)).toEqual(['UNAUTHENTICATED']);
    expect(elsewhere.errors![0]!.message).toBe('Requests must come through the gateway (identity audience)');
    expect(elsewhere.data).toBeUndefined();

    // Re-labelled for another request or audience, it no longer carries the gateway's signature.
    const [body, signature] = header.split('.');
    const claims = JSON.parse(Buffer.from(body!, 'base64url').toString('utf8'));
    for (const changed of [{ ...claims, requestId: 'another-request' }, { ...claims, audience: 'conversations' }]) {
      const relabelled = `${Buffer.from(JSON.stringify(changed)).toString('base64url')}.${signature}`;
      const res = await post(stack.conversations!.url, CONVERSATIONS, { [IDENTITY_HEADER]: relabelled });
      expect(res.errors![0]!.message).toBe('Requests must come through the gateway (identity signature)');
    }

    const replayed = await post(stack.tickets!.url, { query: COUNTS }, { [IDENTITY_HEADER]: header });
    expect(replayed.status).toBe(401);
    expect(replayed.errors![0]!.message).toBe('Requests must come through the gateway (identity replayed)');
    expect(stack.logs.some((l) => l.service === 'tickets' && l.msg === 'refused request without a valid identity' && l.reason === 'replayed')).toBe(true);
  });

  it('of the gateway’s own service calls is bound to the tenants subgraph too', async () => {
    // Logging in and reading `me` asks tenants /internal/principal with a service identity.
    const sent = await capture(async () => {
      const res = await stack.gql(`{ me { email } }`, {}, await stack.as('agent@acme.test'));
      expect(res.data.me.email).toBe('agent@acme.test');
    });
    expect(sent.every((s) => verifyIdentity(s.header, TEST_SECRETS.INTERNAL_SECRET, { audience: s.subgraph }).ok)).toBe(true);
    const service = signIdentity({ kind: 'service', roles: [], scopes: [], audience: 'tickets' }, TEST_SECRETS.INTERNAL_SECRET);
    const res = await fetch(stack.tenants.url.replace('/graphql', '/internal/principal'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: service },
      body: JSON.stringify({ apiKey: 'sb_x_y' }),
    });
    expect(res.status).toBe(401);
  });
});

describe('starting a service', () => {
  async function taken(): Promise<{ port: number; close: () => Promise<void> }> {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
  }

  it('on a port already in use says which variable to change', async () => {
    const busy = await taken();
    try {
      const config = readGatewayConfig({ ...TEST_SECRETS, GATEWAY_PORT: String(busy.port), TENANTS_URL: stack.tenants.url, SUBSCRIPTIONS_ENABLED: 'false' });
      await expect(startGateway(config, silent)).rejects.toThrow(`port ${busy.port} is in use on 127.0.0.1: set GATEWAY_PORT to a free port`);
    } finally {
      await busy.close();
    }
  });

  it('needs real secrets outside demo mode and listens on loopback by default', () => {
    expect(() => readGatewayConfig({})).toThrow(/INTERNAL_SECRET is required[\s\S]*JWT_SECRET is required/);
    expect(() => readGatewayConfig({ INTERNAL_SECRET: 'switchboard-dev-internal-secret-change-me', JWT_SECRET: 'x'.repeat(32) })).toThrow('INTERNAL_SECRET is the published development value');
    expect(readGatewayConfig({ DEMO: 'true' }).INTERNAL_SECRET).toBe('switchboard-dev-internal-secret-change-me');
    expect(readGatewayConfig({ ...TEST_SECRETS }).HOST).toBe('127.0.0.1');
  });

  it('has every subgraph of the registry listen on loopback unless HOST says otherwise, and refuse the published secrets outside demo mode', () => {
    const registry = loadRegistry();
    expect(registry.length).toBeGreaterThanOrEqual(3);
    for (const subgraph of registry) {
      expect([subgraph.name, parseConfig(subgraph.env, { ...TEST_SECRETS }).HOST]).toEqual([subgraph.name, '127.0.0.1']);
      expect([subgraph.name, parseConfig(subgraph.env, { ...TEST_SECRETS, HOST: '0.0.0.0' }).HOST]).toEqual([subgraph.name, '0.0.0.0']);
      expect(() => parseConfig(subgraph.env, {})).toThrow(/INTERNAL_SECRET is required/);
    }
  });
});
