import { createClient, type Client } from 'graphql-ws';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { post, startStack, type Stack } from './stack';
import { until } from './subscription-stack';
import { CREATE, ticketInput } from './tickets-helpers';

// Issue 9.1: a PARTNER key runs, over WebSocket too, only manifest subscriptions, by id.
const manifest = JSON.parse(readFileSync(path.resolve(__dirname, '../../schema/persisted-documents.json'), 'utf8')) as { operations: { id: string; name: string; body: string }[] };
const op = (name: string) => manifest.operations.find((o) => o.name === name)!;
const pq = (id: string) => ({ persistedQuery: { version: 1, sha256Hash: id } });

let stack: Stack;
let partnerKey: string;
let ticketId: string;
const clients: { client: Client; closes: number[] }[] = [];

beforeAll(async () => {
  stack = await startStack({ tickets: true });
  const admin = await stack.as('admin@acme.test');
  const key = await stack.gql(
    `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`,
    { input: { name: 'crm partner', kind: 'PARTNER', scopes: ['tickets:read', 'tickets:write'] } },
    admin,
  );
  partnerKey = key.data.createApiKey.secret;
  ticketId = (await stack.gql(CREATE, { input: ticketInput() }, admin)).data.createTicket.id;
}, 60_000);
afterAll(async () => {
  for (const c of clients) await c.client.dispose();
  await stack?.close();
});

function connect(connectionParams: Record<string, unknown>) {
  const closes: number[] = [];
  const client = createClient({
    url: stack.gateway.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => {},
    on: { closed: (e) => void closes.push((e as { code: number }).code) },
  });
  clients.push({ client, closes });
  return { client, closes };
}

type Payload = { query: string; variables?: Record<string, unknown>; extensions?: Record<string, unknown>; documentId?: string };

function subscribe(client: Client, payload: Payload) {
  const sub = { results: [] as any[], errors: [] as any[] };
  client.subscribe(payload as never, { next: (v) => void sub.results.push(v), error: (e) => void sub.errors.push(e), complete: () => {} });
  return sub;
}
const code = (sub: { errors: any[] }) => (sub.errors[0] as { extensions?: { code?: string } }[])[0]?.extensions?.code;

describe('partner keys over WebSocket', () => {
  it('runs a manifest subscription by id (persistedQuery hash or documentId) and hears its events', async () => {
    const { client, closes } = connect({ apiKey: partnerKey });
    const byHash = subscribe(client, { query: '', variables: { id: ticketId }, extensions: pq(op('TicketUpdated').id) });
    const byDocumentId = subscribe(client, { query: '', variables: { id: ticketId }, documentId: `sha256:${op('TicketUpdated').id}` });
    const before = stack.gateway.subscriptions!.stats().subscribers;
    await until(() => stack.gateway.subscriptions!.stats().subscribers >= before + 2 || byHash.errors.length + byDocumentId.errors.length > 0, 'both subscriptions to register');
    expect([byHash.errors, byDocumentId.errors]).toEqual([[], []]);
    // The partner's own public reply (a manifest mutation, over HTTP) changes the ticket.
    const reply = await post(stack.gateway.url, { variables: { id: ticketId, body: 'We are on it' }, extensions: pq(op('ReplyToTicket').id) }, { 'x-api-key': partnerKey });
    expect(reply.errors).toBeUndefined();
    await until(() => byHash.results.length > 0 && byDocumentId.results.length > 0, 'the ticket’s event');
    for (const sub of [byHash, byDocumentId]) {
      expect(sub.results[0].errors).toBeUndefined();
      expect(sub.results[0].data.ticketUpdated).toMatchObject({ id: ticketId, subject: 'Printer on fire', requester: { name: 'Pat' } });
    }
    expect(closes).toEqual([]);
  });

  it('refuses free text, unknown ids and a mismatched query, as over HTTP; the socket stays open', async () => {
    const { client, closes } = connect({ apiKey: partnerKey });
    const freeText = subscribe(client, { query: `subscription($id: ID!) { ticketUpdated(id: $id) { id description comments { body internal } } }`, variables: { id: ticketId } });
    // The manifest body itself, sent as text: still free text for a partner.
    const manifestText = subscribe(client, { query: op('TicketUpdated').body, variables: { id: ticketId } });
    const unknown = subscribe(client, { query: '', variables: { id: ticketId }, extensions: pq('0'.repeat(64)) });
    const unknownDocument = subscribe(client, { query: '', variables: { id: ticketId }, documentId: `sha256:${'1'.repeat(64)}` });
    const mismatch = subscribe(client, { query: `subscription { slaAlert { id description } }`, extensions: pq(op('TicketUpdated').id) });
    const query = subscribe(client, { query: '', variables: { id: ticketId }, extensions: pq(op('TicketById').id) });
    const all = [freeText, manifestText, unknown, unknownDocument, mismatch, query];
    await until(() => all.every((s) => s.errors.length > 0), 'six refusals');
    expect(all.map(code)).toEqual(['PERSISTED_QUERY_ID_REQUIRED', 'PERSISTED_QUERY_ID_REQUIRED', 'PERSISTED_QUERY_NOT_IN_LIST', 'PERSISTED_QUERY_NOT_IN_LIST', 'BAD_REQUEST', 'BAD_REQUEST']);
    expect(closes).toEqual([]);
  });

  it('lets first-party callers send any subscription, and manifest ids too', async () => {
    const { authorization } = await stack.as('agent@acme.test');
    const { client } = connect({ authorization });
    const text = subscribe(client, { query: `subscription($id: ID!) { ticketUpdated(id: $id) { id status } }`, variables: { id: ticketId } });
    const byId = subscribe(client, { query: '', variables: { id: ticketId }, extensions: pq(op('TicketUpdated').id) });
    const before = stack.gateway.subscriptions!.stats().subscribers;
    await until(() => stack.gateway.subscriptions!.stats().subscribers >= before + 2 || text.errors.length + byId.errors.length > 0, 'both subscriptions to register');
    expect([text.errors, byId.errors]).toEqual([[], []]);
  });
});
