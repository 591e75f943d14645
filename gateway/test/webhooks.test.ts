import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { codes, startStack, type Stack } from './stack';

/**
 * Outbound webhooks through the gateway (issue 14): endpoints made with GraphQL, domain
 * events from the tickets subgraph delivered to a local receiver, signed, retried, paused.
 * Retries run on a 20 ms base (the registry's testEnv); nothing asserts wall-clock time.
 */

interface Received {
  body: string;
  json: { id: string; type: string; occurredAt: string; data: Record<string, any> };
  headers: http.IncomingHttpHeaders;
}

/** A local receiver that answers `status()` (a function, so a test can take it down and bring it back). */
async function receiver() {
  const received: Received[] = [];
  let answer = 200;
  let downFor = 0;
  let hits = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      hits++;
      const status = downFor > 0 ? 503 : answer;
      if (downFor > 0) downFor--;
      if (status >= 200 && status < 300) received.push({ body, json: JSON.parse(body), headers: req.headers });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    received,
    get hits() {
      return hits;
    },
    answer(status: number) {
      answer = status;
    },
    /** Answers 503 to the next `n` requests, then `answer` again. */
    down(n: number) {
      downFor = n;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** The receiver recipe of docs/api.md, verbatim in spirit: t within 5 minutes, one v1 = HMAC(secret, "<t>.<raw body>"). */
function verify(header: string | undefined, secret: string, rawBody: string, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
  const items = (header ?? '').split(',').map((p) => p.split('='));
  const t = Number(items.find(([k]) => k === 't')?.[1]);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  return items.some(([k, v]) => k === 'v1' && v?.length === 64 && timingSafeEqual(Buffer.from(v, 'hex'), expected));
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, tries = 400): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

let stack: Stack;
let acme: Record<string, string>;
let globex: Record<string, string>;

beforeAll(async () => {
  stack = await startStack({ subgraphs: ['integrations', 'tickets'] });
  acme = await stack.as('admin@acme.test');
  globex = await stack.as('admin@globex.test');
});
afterAll(async () => {
  await stack?.close();
});

const CREATE = `mutation($input: WebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { id url events status consecutiveFailures description createdAt } } }`;

async function createEndpoint(headers: Record<string, string>, url: string, events = ['ticket.created', 'ticket.updated']) {
  const res = await stack.gql(CREATE, { input: { url, events, description: 'test' } }, headers);
  expect(res.errors).toBeUndefined();
  return res.data.createWebhookEndpoint as { secret: string; endpoint: { id: string; status: string } };
}

const deliveryEndpoint = new Map<string, string>();

async function createEndpointWith(headers: Record<string, string>, url: string, events: string[], selection: string): Promise<string> {
  const res = await stack.gql(CREATE, { input: { url, events, selection } }, headers);
  expect(res.errors).toBeUndefined();
  return res.data.createWebhookEndpoint.endpoint.id;
}

async function createTicket(headers: Record<string, string>, subject: string): Promise<string> {
  const res = await stack.gql(`mutation($s: String!) { createTicket(input: { subject: $s, requester: { name: "R", email: "r@example.com" } }) { id } }`, { s: subject }, headers);
  expect(res.errors).toBeUndefined();
  return res.data.createTicket.id;
}

async function updateTicket(headers: Record<string, string>, id: string, subject: string) {
  const res = await stack.gql(`mutation($id: ID!, $s: String!) { updateTicket(id: $id, input: { subject: $s }) { id } }`, { id, s: subject }, headers);
  expect(res.errors).toBeUndefined();
}

async function endpointStatus(headers: Record<string, string>, id: string) {
  const res = await stack.gql(`{ webhookEndpoints { id status consecutiveFailures } }`, {}, headers);
  return (res.data.webhookEndpoints as { id: string; status: string; consecutiveFailures: number }[]).find((e) => e.id === id)!;
}

describe('outbound webhooks through the gateway', () => {
  it('delivers a signed event that verifies with the documented recipe, and not with a wrong secret or an old timestamp', async () => {
    const r = await receiver();
    try {
      const { secret, endpoint } = await createEndpoint(acme, r.url, ['ticket.created']);
      expect(secret).toMatch(/^whsec_/);
      expect(endpoint.status).toBe('ACTIVE');
      const ticketId = await createTicket(acme, 'Signed delivery');
      const got = await until('the delivery', () => r.received.find((x) => x.json.data.id === ticketId));
      expect(got.json).toMatchObject({ type: 'ticket.created', data: { id: ticketId } });
      expect(got.headers['switchboard-event-id']).toBe(got.json.id);
      expect(got.headers['switchboard-event-type']).toBe('ticket.created');
      expect(got.headers['switchboard-delivery-id']).toMatch(/^[0-9a-f-]{36}$/);
      const signature = got.headers['switchboard-signature'] as string;
      expect(verify(signature, secret, got.body)).toBe(true);
      expect(verify(signature, `${secret}x`, got.body)).toBe(false);
      expect(verify(signature, secret, `${got.body} `)).toBe(false);
      expect(verify(signature, secret, got.body, Math.floor(Date.now() / 1000) + 301)).toBe(false);

      // The delivery log says so, with the attempt.
      // (the receiver answers before the dispatcher records it: wait for the record)
      const log = await until('the delivery recorded', async () => {
        const res = await stack.gql(
          `query($id: ID!) { webhookDeliveries(endpointId: $id, first: 10) { totalCount nodes { id eventId eventType status attempts { at responseStatus latencyMs error } createdAt } } }`,
          { id: endpoint.id },
          acme,
        );
        expect(res.errors).toBeUndefined();
        return res.data.webhookDeliveries.nodes[0]?.status !== 'PENDING' && res;
      });
      const [delivery] = log.data.webhookDeliveries.nodes;
      expect(delivery).toMatchObject({ id: got.headers['switchboard-delivery-id'], eventId: got.json.id, eventType: 'ticket.created', status: 'SUCCEEDED' });
      expect(delivery.attempts).toHaveLength(1);
      expect(delivery.attempts[0]).toMatchObject({ responseStatus: 200, error: null });

      // Redelivery: the same event under a new delivery id.
      const again = await stack.gql(`mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id eventId status } }`, { id: delivery.id }, acme);
      expect(again.errors).toBeUndefined();
      expect(again.data.redeliverWebhook.id).not.toBe(delivery.id);
      const second = await until('the redelivery', () => r.received.find((x) => x.headers['switchboard-delivery-id'] === again.data.redeliverWebhook.id));
      expect(second.json.id).toBe(got.json.id);
      // Counted on the integrations subgraph's /metrics (loopback: no token needed).
      const metrics = await (await fetch(stack.subgraphs.integrations!.url.replace(/\/graphql$/, '/metrics'))).text();
      expect(metrics).toMatch(/webhook_deliveries_total\{[^}]*result="succeeded"[^}]*\} [1-9]/);
      expect(metrics).toContain('webhook_delivery_duration_seconds_count');
      // Event → accepted delivery: observed once per success (the first delivery and the redelivery).
      expect(Number(/^webhook_delivery_lag_seconds_count(?:\{[^}]*\})? (\d+)$/m.exec(metrics)?.[1] ?? 0)).toBeGreaterThanOrEqual(2);
      expect(await stack.gql(`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id: endpoint.id }, acme)).toMatchObject({ data: { deleteWebhookEndpoint: true } });
    } finally {
      await r.close();
    }
  });

  it('a receiver down for a while gets every event afterwards, once per event id, in order per ticket', async () => {
    const r = await receiver();
    try {
      const { endpoint } = await createEndpoint(acme, r.url);
      r.down(4);
      const tickets = [await createTicket(acme, 'A'), await createTicket(acme, 'B')];
      for (const id of tickets) for (const n of [1, 2, 3]) await updateTicket(acme, id, `${id} v${n}`);
      // Down for 4 attempts (fewer than the pause threshold of 5), then up again.
      await until('every event', () => r.received.length >= 8 && tickets.every((id) => r.received.filter((x) => x.json.data.id === id).length >= 4));
      // Settle: nothing more arrives for what succeeded.
      await until('no open deliveries', async () => {
        const res = await stack.gql(`query($id: ID!) { webhookDeliveries(endpointId: $id, first: 50) { nodes { status } } }`, { id: endpoint.id }, acme);
        return res.data.webhookDeliveries.nodes.every((n: { status: string }) => n.status === 'SUCCEEDED');
      });
      const ids = r.received.map((x) => x.json.id);
      expect(new Set(ids).size).toBe(ids.length); // once per event id
      expect(ids).toHaveLength(8);
      expect(r.hits).toBeGreaterThanOrEqual(12); // the 4 refused attempts were retried
      for (const id of tickets) {
        const mine = r.received.filter((x) => x.json.data.id === id).map((x) => x.json.type);
        expect(mine).toEqual(['ticket.created', 'ticket.updated', 'ticket.updated', 'ticket.updated']);
        const times = r.received.filter((x) => x.json.data.id === id).map((x) => x.json.occurredAt);
        expect([...times].sort()).toEqual(times);
      }
      expect((await endpointStatus(acme, endpoint.id)).status).toBe('ACTIVE');
      await stack.gql(`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id: endpoint.id }, acme);
    } finally {
      await r.close();
    }
  });

  it('pauses an endpoint after consecutive failures, tells the tenant, and resuming sends what queued', async () => {
    const r = await receiver();
    const watcher = await receiver();
    try {
      const { endpoint } = await createEndpoint(acme, r.url);
      // Another endpoint of the tenant subscribes to the pause event.
      const { endpoint: watching } = await createEndpoint(acme, watcher.url, ['webhook_endpoint.paused']);
      r.answer(500);
      const ticket = await createTicket(acme, 'Will pause');
      await until('the pause', async () => (await endpointStatus(acme, endpoint.id)).status === 'PAUSED');
      const paused = await until('the pause event', () => watcher.received.find((x) => x.json.type === 'webhook_endpoint.paused'));
      expect(paused.json.data).toMatchObject({ id: endpoint.id, consecutiveFailures: 5 });
      const hitsWhenPaused = r.hits;
      expect(hitsWhenPaused).toBe(5);
      const pausedGauge = async () => {
        const text = await (await fetch(stack.subgraphs.integrations!.url.replace(/\/graphql$/, '/metrics'))).text();
        return Number(/^webhook_endpoints_paused(?:\{[^}]*\})? (\d+)$/m.exec(text)?.[1] ?? -1);
      };
      expect(await pausedGauge()).toBeGreaterThanOrEqual(1);

      // While paused, events queue and nothing is sent.
      await updateTicket(acme, ticket, 'queued while paused');
      await until('queued', async () => {
        const res = await stack.gql(`query($id: ID!) { webhookDeliveries(endpointId: $id, status: PENDING) { totalCount } }`, { id: endpoint.id }, acme);
        return res.data.webhookDeliveries.totalCount === 1;
      });
      expect(r.hits).toBe(hitsWhenPaused);

      r.answer(200);
      const resumed = await stack.gql(`mutation($id: ID!) { resumeWebhookEndpoint(id: $id) { status consecutiveFailures } }`, { id: endpoint.id }, acme);
      expect(resumed.data.resumeWebhookEndpoint).toEqual({ status: 'ACTIVE', consecutiveFailures: 0 });
      await until('the queue drained', () => r.received.length >= 2);
      expect(r.received.map((x) => x.json.type)).toEqual(['ticket.created', 'ticket.updated']);
      expect(await pausedGauge()).toBe(0);

      // Pausing by hand, too.
      expect((await stack.gql(`mutation($id: ID!) { pauseWebhookEndpoint(id: $id) { status } }`, { id: endpoint.id }, acme)).data.pauseWebhookEndpoint.status).toBe('PAUSED');
      for (const id of [endpoint.id, watching.id]) await stack.gql(`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id }, acme);
    } finally {
      await r.close();
      await watcher.close();
    }
  });

  it('signs with both secrets during a rotation’s overlap, and with the new one only without overlap', async () => {
    const r = await receiver();
    try {
      const { secret: first, endpoint } = await createEndpoint(acme, r.url, ['ticket.created']);
      const rotated = await stack.gql(`mutation($id: ID!) { rotateWebhookSecret(id: $id, overlapSeconds: 3600) { secret endpoint { id } } }`, { id: endpoint.id }, acme);
      expect(rotated.errors).toBeUndefined();
      const second = rotated.data.rotateWebhookSecret.secret as string;
      expect(second).not.toBe(first);
      const t1 = await createTicket(acme, 'rotation overlap');
      const a = await until('delivery during the overlap', () => r.received.find((x) => x.json.data.id === t1));
      const sig = a.headers['switchboard-signature'] as string;
      expect(verify(sig, first, a.body)).toBe(true);
      expect(verify(sig, second, a.body)).toBe(true);

      const third = (await stack.gql(`mutation($id: ID!) { rotateWebhookSecret(id: $id, overlapSeconds: 0) { secret } }`, { id: endpoint.id }, acme)).data.rotateWebhookSecret.secret;
      const t2 = await createTicket(acme, 'rotation done');
      const b = await until('delivery after the rotation', () => r.received.find((x) => x.json.data.id === t2));
      const sig2 = b.headers['switchboard-signature'] as string;
      expect(verify(sig2, third, b.body)).toBe(true);
      expect(verify(sig2, second, b.body)).toBe(false);
      expect(verify(sig2, first, b.body)).toBe(false);
      await stack.gql(`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id: endpoint.id }, acme);
    } finally {
      await r.close();
    }
  });

  it('another tenant’s events never reach this tenant’s endpoints, and its endpoints are NOT_FOUND', async () => {
    const mine = await receiver();
    const theirs = await receiver();
    try {
      const { endpoint } = await createEndpoint(acme, mine.url, ['ticket.created']);
      await createEndpoint(globex, theirs.url, ['ticket.created']);
      const globexTicket = await createTicket(globex, 'globex only');
      const acmeTicket = await createTicket(acme, 'acme only');
      await until('both deliveries', () => mine.received.length >= 1 && theirs.received.length >= 1);
      expect(mine.received.map((x) => x.json.data.id)).toEqual([acmeTicket]);
      expect(theirs.received.map((x) => x.json.data.id)).toEqual([globexTicket]);
      // Globex cannot see, change or read the log of acme's endpoint.
      expect((await stack.gql(`{ webhookEndpoints { id } }`, {}, globex)).data.webhookEndpoints.map((e: { id: string }) => e.id)).not.toContain(endpoint.id);
      expect(codes(await stack.gql(`mutation($id: ID!) { pauseWebhookEndpoint(id: $id) { id } }`, { id: endpoint.id }, globex))).toEqual(['NOT_FOUND']);
      expect(codes(await stack.gql(`query($id: ID!) { webhookDeliveries(endpointId: $id) { totalCount } }`, { id: endpoint.id }, globex))).toEqual(['NOT_FOUND']);
      const log = await stack.gql(`query($id: ID!) { webhookDeliveries(endpointId: $id) { nodes { id } } }`, { id: endpoint.id }, acme);
      expect(codes(await stack.gql(`mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id } }`, { id: log.data.webhookDeliveries.nodes[0].id }, globex))).toEqual(['NOT_FOUND']);
    } finally {
      await mine.close();
      await theirs.close();
    }
  });

  it('shapes data by a selection, resolved with the owner’s permissions: a field the owner may not read is left out', async () => {
    const r = await receiver();
    try {
      const selection = 'number subject requester { email } assignee { name email }';
      // An API key that may manage endpoints and read tickets, but not users.
      const key = await stack.gql(`mutation { createApiKey(input: { name: "hooks", scopes: ["integrations:write", "tickets:read"] }) { secret } }`, {}, acme);
      expect(key.errors).toBeUndefined();
      const asKey = { 'x-api-key': key.data.createApiKey.secret as string };
      const byKey = await stack.gql(CREATE, { input: { url: r.url, events: ['ticket.updated'], selection } }, asKey);
      expect(byKey.errors).toBeUndefined();
      const byAdmin = await createEndpointWith(acme, r.url, ['ticket.updated'], selection);

      const agentId = (await stack.gql(`{ me { id name email } }`, {}, await stack.as('agent@acme.test'))).data.me;
      const ticket = await createTicket(acme, 'Selected');
      expect((await stack.gql(`mutation($id: ID!, $u: ID) { assignTicket(id: $id, userId: $u) { id } }`, { id: ticket, u: agentId.id }, acme)).errors).toBeUndefined();
      await updateTicket(acme, ticket, 'Selected, changed');
      await until('both deliveries', () => r.received.filter((x) => x.json.type === 'ticket.updated').length >= 2);
      const of = (endpointId: string) => r.received.find((x) => x.json.type === 'ticket.updated' && deliveryEndpoint.get(x.headers['switchboard-delivery-id'] as string) === endpointId);
      for (const id of [byKey.data.createWebhookEndpoint.endpoint.id, byAdmin]) {
        const log = await stack.gql(`query($id: ID!) { webhookDeliveries(endpointId: $id) { nodes { id } } }`, { id }, acme);
        for (const n of log.data.webhookDeliveries.nodes) deliveryEndpoint.set(n.id, id);
      }
      const number = (await stack.gql(`query($id: ID!) { ticket(id: $id) { number } }`, { id: ticket }, acme)).data.ticket.number;
      expect(of(byAdmin)!.json.data).toEqual({ number, subject: 'Selected, changed', requester: { email: 'r@example.com' }, assignee: { name: agentId.name, email: agentId.email } });
      // The key may not read users: no assignee at all.
      expect(of(byKey.data.createWebhookEndpoint.endpoint.id)!.json.data).toEqual({ number, subject: 'Selected, changed', requester: { email: 'r@example.com' } });

      // Checked against the supergraph at creation.
      for (const [events, bad] of [
        [['ticket.updated'], 'number nope'],
        [['ticket.updated'], 'number { x }'],
        [['ticket.updated'], '...on Ticket { number }'],
        [['ticket.updated', 'message.sent'], 'number'],
      ] as const) {
        const res = await stack.gql(CREATE, { input: { url: r.url, events, selection: bad } }, acme);
        expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'selection' });
      }
      for (const id of [byKey.data.createWebhookEndpoint.endpoint.id, byAdmin]) await stack.gql(`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id }, acme);
    } finally {
      await r.close();
    }
  });

  it('is for OWNER and ADMIN only, and refuses bad input naming the field', async () => {
    const agent = await stack.as('agent@acme.test');
    expect(codes(await stack.gql(CREATE, { input: { url: 'https://example.com/h', events: ['ticket.created'] } }, agent))).toEqual(['FORBIDDEN']);
    expect(codes(await stack.gql(`{ webhookEndpoints { id } }`, {}, agent))).toEqual(['FORBIDDEN']);
    const bad = await stack.gql(CREATE, { input: { url: 'ftp://example.com/h', events: ['ticket.created'] } }, acme);
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'url' });
    const badEvents = await stack.gql(CREATE, { input: { url: 'http://127.0.0.1:9/h', events: ['ticket.exploded'] } }, acme);
    expect(badEvents.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'events' });
    const metadata = await stack.gql(CREATE, { input: { url: 'http://169.254.169.254/latest/meta-data', events: ['ticket.created'] } }, acme);
    expect(metadata.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'url' });
  });
});
