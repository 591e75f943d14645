import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { Agent } from '@switchboard/conversations/src/modules/agents/agent.entity';
import { startStack, type Stack } from './stack';
import { until } from './subscription-stack';

let stack: Stack;
const clients: Client[] = [];

beforeAll(async () => {
  stack = await startStack({ conversations: true, tickets: true, redisUrl: '' });
  for (let i = 0; i < 400 && (await stack.conversations!.orm.em.fork().count(Agent, {}, { filters: false })) < 7; i++) await new Promise((r) => setTimeout(r, 25));
});
afterAll(async () => {
  for (const c of clients) await c.dispose();
  await stack.close();
});

async function connect(email: string): Promise<Client> {
  const { authorization } = await stack.as(email);
  const client = createClient({ url: stack.gateway.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization }, retryAttempts: 0 });
  clients.push(client);
  return client;
}

function subscribe(client: Client, query: string, variables: Record<string, unknown> = {}) {
  const sub = { results: [] as any[], errors: [] as unknown[] };
  client.subscribe({ query, variables }, { next: (v) => void sub.results.push(v), error: (e) => void sub.errors.push(e), complete: () => {} });
  return sub;
}

const START = `mutation { startConversation(input: { channel: WEB, contact: { name: "Robin" }, text: "Hello" }) { id } }`;

describe('live chat through the gateway', () => {
  it('delivers a message sent by another client, with fields from three subgraphs resolved', async () => {
    const agent = await stack.as('agent@acme.test');
    const conversation = (await stack.gql(START, {}, agent)).data.startConversation;
    await stack.gql(`mutation($id: ID!) { escalateToTicket(id: $id, subject: "Follow up") { id } }`, { id: conversation.id }, agent);
    const console = await connect('supervisor@acme.test');
    const sub = subscribe(
      console,
      `subscription($id: ID!) { messageAdded(conversationId: $id) { text authorKind author { name } conversation { status tickets { subject } } } }`,
      { id: conversation.id },
    );
    // Wait until the subscription is in place: a first probe message arrives.
    let probe = 0;
    await until(() => {
      if (sub.results.length === 0 && probe++ % 20 === 0) void stack.gql(`mutation($id: ID!) { sendMessage(input: { conversationId: $id, text: "probe" }) { created } }`, { id: conversation.id }, agent);
      return sub.results.length > 0;
    }, 'the subscription to start');
    await until(() => sub.results.some((r) => r.data?.messageAdded?.conversation?.tickets?.length), 'the escalated ticket to be visible');
    const before = sub.results.length;
    await stack.gql(`mutation($id: ID!) { sendMessage(input: { conversationId: $id, text: "Alex here, how can I help?" }) { created } }`, { id: conversation.id }, agent);
    await until(() => sub.results.slice(before).some((r) => r.data?.messageAdded?.text === 'Alex here, how can I help?'), 'the agent’s message');
    const event = sub.results.slice(before).find((r) => r.data?.messageAdded?.text === 'Alex here, how can I help?');
    expect(event.errors).toBeUndefined();
    expect(event.data.messageAdded).toEqual({
      text: 'Alex here, how can I help?',
      authorKind: 'AGENT',
      author: { name: 'Alex Agent' },
      conversation: { status: 'BOT', tickets: [{ subject: 'Follow up' }] },
    });
  });

  it('keeps tenants apart: subscribing to another tenant’s conversation errors, and its queue events never arrive', async () => {
    const acmeAgent = await stack.as('agent@acme.test');
    const conversation = (await stack.gql(START, {}, acmeAgent)).data.startConversation;
    const globex = await connect('admin@globex.test');
    const spy = subscribe(globex, `subscription($id: ID!) { messageAdded(conversationId: $id) { text } }`, { id: conversation.id });
    await until(() => spy.errors.length > 0 || spy.results.some((r) => r.errors), 'the refusal');
    const refusal = (spy.errors[0] as any[] | undefined)?.[0] ?? spy.results[0]?.errors?.[0];
    expect(refusal.extensions.code).toBe('NOT_FOUND');

    const globexQueue = subscribe(globex, `subscription { conversationUpdated { id contact { name } } }`);
    const acmeQueue = subscribe(await connect('supervisor@acme.test'), `subscription { conversationUpdated { id contact { name } } }`);
    let n = 0;
    await until(() => {
      if (acmeQueue.results.length === 0 && n++ % 20 === 0) void stack.gql(START, {}, acmeAgent);
      return acmeQueue.results.length > 0;
    }, 'acme’s queue event');
    const globexAgent = await stack.as('admin@globex.test');
    await stack.gql(`mutation { startConversation(input: { channel: SMS, contact: { name: "Globex customer" } }) { id } }`, {}, globexAgent);
    await until(() => globexQueue.results.length > 0, 'globex’s own queue event');
    expect(globexQueue.results.every((r) => r.data.conversationUpdated.contact.name === 'Globex customer')).toBe(true);
    expect(acmeQueue.results.every((r) => r.data.conversationUpdated.contact.name === 'Robin')).toBe(true);
  });

  it('pushes ticket changes to ticketUpdated subscribers, and SLA alerts to the tenant’s consoles', async () => {
    const sup = await stack.as('supervisor@acme.test');
    await stack.gql(`mutation { upsertSlaPolicy(input: { priority: URGENT, firstResponseMinutes: 10, resolutionMinutes: 60 }) { id } }`, {}, sup);
    const ticket = (await stack.gql(`mutation { createTicket(input: { subject: "Site down", priority: URGENT, requester: { name: "Pat", email: "pat@example.com" } }) { id } }`, {}, sup)).data.createTicket;
    const console = await connect('supervisor@acme.test');
    const updates = subscribe(console, `subscription($id: ID!) { ticketUpdated(id: $id) { status version assignee { name } } }`, { id: ticket.id });
    const alerts = subscribe(console, `subscription { slaAlert { id sla { state } } }`);
    const globexConsole = await connect('admin@globex.test');
    const globexAlerts = subscribe(globexConsole, `subscription { slaAlert { id } }`);
    const globexAdmin = await stack.as('admin@globex.test');
    // Probe the same socket: once a later subscription delivers, the earlier one is in place.
    const globexProbe = subscribe(globexConsole, `subscription { conversationUpdated { id } }`);
    let probes = 0;
    await until(() => {
      if (globexProbe.results.length === 0 && probes++ % 20 === 0) void stack.gql(`mutation { startConversation(input: { channel: SMS, contact: { name: "probe" } }) { id } }`, {}, globexAdmin);
      return globexProbe.results.length > 0;
    }, 'globex’s console to be connected');
    await stack.gql(`mutation { upsertSlaPolicy(input: { priority: URGENT, firstResponseMinutes: 10, resolutionMinutes: 60 }) { id } }`, {}, globexAdmin);
    const globexTicket = (await stack.gql(`mutation { createTicket(input: { subject: "Globex down", priority: URGENT, requester: { name: "Gil", email: "gil@example.com" } }) { id } }`, {}, globexAdmin)).data.createTicket;
    let tries = 0;
    await until(() => {
      if (updates.results.length === 0 && tries++ % 20 === 0) {
        void stack.gql(`mutation($id: ID!) { updateTicket(id: $id, input: { tags: ["probe${tries}"] }) { id } }`, { id: ticket.id }, sup);
      }
      return updates.results.length > 0;
    }, 'the ticketUpdated subscription to start');
    const seen = updates.results.length;
    await stack.gql(`mutation($id: ID!) { changeTicketStatus(id: $id, status: IN_PROGRESS) { id } }`, { id: ticket.id }, sup);
    await until(() => updates.results.slice(seen).some((r) => r.data?.ticketUpdated?.status === 'IN_PROGRESS'), 'the status change');

    const { runSlaCheck } = await import('@switchboard/tickets');
    await runSlaCheck(stack.tickets!.orm, new Date(Date.now() + 20 * 60_000), 25);
    await until(() => alerts.results.some((r) => r.data?.slaAlert?.id === ticket.id), 'the SLA alert');
    expect(alerts.results.find((r) => r.data?.slaAlert?.id === ticket.id).data.slaAlert.sla.state).toBe('BREACHED');
    // Globex hears its own alert from the same check, and never acme's.
    await until(() => globexAlerts.results.some((r) => r.data?.slaAlert?.id === globexTicket.id), 'globex’s own alert');
    expect(globexAlerts.results.map((r) => r.data.slaAlert.id)).toEqual([globexTicket.id]);
  });

  it('shows who is typing, live, without storing anything', async () => {
    const agent = await stack.as('agent@acme.test');
    const conversation = (await stack.gql(START, {}, agent)).data.startConversation;
    const watcher = subscribe(await connect('supervisor@acme.test'), `subscription($id: ID!) { typing(conversationId: $id) { isTyping user { name } conversation { id } } }`, { id: conversation.id });
    let n = 0;
    await until(() => {
      if (!watcher.results.some((r) => r.data?.typing?.isTyping === false) && n++ % 20 === 0) {
        void stack.gql(`mutation($id: ID!) { setTyping(conversationId: $id, isTyping: false) { id } }`, { id: conversation.id }, agent);
      }
      return watcher.results.some((r) => r.data?.typing?.isTyping === false);
    }, 'the typing subscription to start');
    await stack.gql(`mutation($id: ID!) { setTyping(conversationId: $id, isTyping: true) { id } }`, { id: conversation.id }, agent);
    await until(() => watcher.results.some((r) => r.data?.typing?.isTyping === true), 'the typing event');
    expect(watcher.results.find((r) => r.data?.typing?.isTyping === true).data.typing).toEqual({ isTyping: true, user: { name: 'Alex Agent' }, conversation: { id: conversation.id } });
    const globex = await stack.as('admin@globex.test');
    expect((await stack.gql(`mutation($id: ID!) { setTyping(conversationId: $id, isTyping: true) { id } }`, { id: conversation.id }, globex)).errors![0]!.extensions!.code).toBe('NOT_FOUND');
  });
});
