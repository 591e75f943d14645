import { Agent } from '@switchboard/conversations/src/modules/agents/agent.entity';
import { IDENTITY_HEADER, signIdentity } from '@switchboard/kit';
import { TEST_SECRETS } from '@switchboard/kit/src/testing';
import { codes, post, startStack, type Stack } from './stack';

let stack: Stack;
let agent: Record<string, string>;
let admin: Record<string, string>;

beforeAll(async () => {
  stack = await startStack({ conversations: true, tickets: true, redisUrl: '' });
  for (let i = 0; i < 400 && (await stack.conversations!.orm.em.fork().count(Agent, {}, { filters: false })) < 7; i++) await new Promise((r) => setTimeout(r, 25));
  agent = await stack.as('agent@acme.test');
  admin = await stack.as('admin@acme.test');
});
afterAll(() => stack.close());

const START = `mutation($input: StartConversationInput!) { startConversation(input: $input) { id status version unreadCount channel contact { name externalIds } } }`;
const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { created message { id text authorKind author { name } } } }`;
const MESSAGES = `query($id: ID!) { conversation(id: $id) { status unreadCount messages(first: 100) { totalCount nodes { text authorKind } } } }`;

async function start(as = agent, over: Record<string, unknown> = {}) {
  const res = await stack.gql(START, { input: { channel: 'WHATSAPP', contact: { name: 'Kim', externalId: '+4930123' }, text: 'Hello?', ...over } }, as);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data.startConversation;
}

describe('conversations through the gateway', () => {
  it('starts a conversation with the customer’s first message, and an agent answers under their own name', async () => {
    const c = await start();
    expect(c).toMatchObject({ status: 'BOT', channel: 'WHATSAPP', unreadCount: 1, contact: { name: 'Kim', externalIds: { WHATSAPP: '+4930123' } } });
    const sent = await stack.gql(SEND, { input: { conversationId: c.id, text: 'Hi Kim, Alex here' } }, agent);
    expect(sent.data.sendMessage).toMatchObject({ created: true, message: { authorKind: 'AGENT', author: { name: 'Alex Agent' } } });
    const read = await stack.gql(MESSAGES, { id: c.id }, agent);
    expect(read.data.conversation.messages.nodes.map((m: any) => m.text)).toEqual(['Hello?', 'Hi Kim, Alex here']);
  });

  it('stores a retried send with the same idempotency key once', async () => {
    const c = await start();
    const input = { conversationId: c.id, text: 'Your refund is on its way', idempotencyKey: 'reply-42' };
    const [a, b, d] = await Promise.all([stack.gql(SEND, { input }, agent), stack.gql(SEND, { input }, agent), stack.gql(SEND, { input }, agent)]);
    const results = [a, b, d].map((r) => r.data.sendMessage);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.message.id)).size).toBe(1);
    expect((await stack.gql(MESSAGES, { id: c.id }, agent)).data.conversation.messages.totalCount).toBe(2);
  });

  it('keeps each API key’s idempotency keys its own: two integrations sending key "1" into one conversation store both', async () => {
    const c = await start();
    const key = async (name: string) => {
      const res = await stack.gql(`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`, { input: { name, scopes: ['conversations:write', 'conversations:read'] } }, admin);
      return { 'x-api-key': res.data.createApiKey.secret as string };
    };
    const [whatsapp, crm] = [await key('whatsapp connector'), await key('crm sync')];
    const send = (as: Record<string, string>, text: string) => stack.gql(SEND, { input: { conversationId: c.id, text, idempotencyKey: '1' } }, as);
    const first = (await send(whatsapp, 'Where is my order?')).data.sendMessage;
    const second = (await send(crm, 'Order 991 was updated')).data.sendMessage;
    expect([first.created, second.created]).toEqual([true, true]);
    expect(second.message).toMatchObject({ text: 'Order 991 was updated', authorKind: 'CUSTOMER' });
    // Each integration's retry is still answered with its own message, and stores nothing.
    const retried = (await send(crm, 'Order 991 was updated')).data.sendMessage;
    expect(retried).toEqual({ ...second, created: false });
    expect((await send(whatsapp, 'Where is my order?')).data.sendMessage).toEqual({ ...first, created: false });
    const read = await stack.gql(MESSAGES, { id: c.id }, agent);
    expect(read.data.conversation.messages.nodes.map((m: any) => m.text)).toEqual(['Hello?', 'Where is my order?', 'Order 991 was updated']);
  });

  it('keeps each connector’s keys its own too: two integrations connectors (service identities) sending key "wamid.1" store both', async () => {
    const c = await start();
    const tenantId = tenantOf(agent);
    // What the integrations subgraph sends for a connector (conversations-client.ts): a service identity of the tenant.
    const as = (connectorId: string) => ({
      [IDENTITY_HEADER]: signIdentity({ kind: 'service', service: `integrations:${connectorId}`, tenantId, roles: [], scopes: ['conversations:read', 'conversations:write'], audience: 'conversations' }, TEST_SECRETS.INTERNAL_SECRET),
    });
    const send = (connector: string, text: string) => post(stack.conversations!.url, { query: SEND.replace('author { name }', ''), variables: { input: { conversationId: c.id, text, idempotencyKey: 'wamid.1' } } }, as(connector));
    const first = (await send('connector-a', 'from connector A')).data.sendMessage;
    const second = (await send('connector-b', 'from connector B')).data.sendMessage;
    expect([first.created, second.created]).toEqual([true, true]);
    expect((await send('connector-b', 'from connector B (redelivered)')).data.sendMessage).toEqual({ ...second, created: false });
    const read = await stack.gql(MESSAGES, { id: c.id }, agent);
    expect(read.data.conversation.messages.nodes.map((m: any) => m.text)).toEqual(['Hello?', 'from connector A', 'from connector B']);
  });

  it('refuses bad input with a clear error and stores nothing', async () => {
    const c = await start();
    const cases: [Record<string, unknown>, string, string?][] = [
      [{ conversationId: '00000000-0000-0000-0000-000000000000', text: 'x' }, 'NOT_FOUND'],
      [{ conversationId: c.id, text: '   ' }, 'BAD_USER_INPUT', 'text'],
      [{ conversationId: c.id, text: 'x'.repeat(4001) }, 'BAD_USER_INPUT', 'text'],
      [{ conversationId: c.id, text: 'see file', attachments: [{ name: 'big.zip', url: 'https://files.example.com/big.zip', mimeType: 'application/zip', size: 26 * 1024 * 1024 }] }, 'BAD_USER_INPUT', 'attachments'],
      [{ conversationId: c.id, text: 'as the customer', as: 'CUSTOMER' }, 'BAD_USER_INPUT', 'as'],
    ];
    for (const [input, code, field] of cases) {
      const res = await stack.gql(SEND, { input }, agent);
      expect(res.errors![0]!.extensions).toMatchObject({ code, ...(field ? { field } : {}) });
    }
    expect((await stack.gql(MESSAGES, { id: c.id }, agent)).data.conversation.messages.totalCount).toBe(1);
  });

  it('hands off, assigns, resolves and reopens along the workflow, refusing illegal moves', async () => {
    const c = await start();
    const sup = await stack.as('supervisor@acme.test');
    const handoff = await stack.gql(`mutation($id: ID!) { handoffToHuman(id: $id, reason: "customer asked for a person") { status } }`, { id: c.id }, agent);
    expect(handoff.data.handoffToHuman.status).toBe('QUEUED');
    const again = await stack.gql(`mutation($id: ID!) { handoffToHuman(id: $id, reason: "again") { status } }`, { id: c.id }, agent);
    expect(again.errors![0]!.extensions).toMatchObject({ code: 'INVALID_TRANSITION', from: 'QUEUED', allowed: ['ASSIGNED', 'RESOLVED'] });
    const assigned = await stack.gql(`mutation($id: ID!) { assignConversation(id: $id) { status assignee { name role } } }`, { id: c.id }, sup);
    expect(assigned.data.assignConversation.status).toBe('ASSIGNED');
    expect(assigned.data.assignConversation.assignee.role).toBe('AGENT');
    expect((await stack.gql(`mutation($id: ID!) { resolveConversation(id: $id) { status } }`, { id: c.id }, agent)).data.resolveConversation.status).toBe('RESOLVED');
    expect((await stack.gql(`mutation($id: ID!) { reopenConversation(id: $id) { status } }`, { id: c.id }, agent)).data.reopenConversation.status).toBe('ASSIGNED');
    const msgs = (await stack.gql(MESSAGES, { id: c.id }, agent)).data.conversation.messages.nodes;
    expect(msgs.find((m: any) => m.authorKind === 'SYSTEM').text).toContain('customer asked for a person');
  });

  it('lets agents take conversations themselves but not hand them to others; markRead clears unread', async () => {
    const c = await start();
    const users = (await stack.gql(`{ users(first: 100) { nodes { id email } } }`, {}, admin)).data.users.nodes;
    const other = users.find((u: any) => u.email === 'agent2@acme.test').id;
    expect(codes(await stack.gql(`mutation($id: ID!, $u: ID) { assignConversation(id: $id, userId: $u) { status } }`, { id: c.id, u: other }, agent))).toEqual(['FORBIDDEN']);
    const me = users.find((u: any) => u.email === 'agent@acme.test').id;
    expect((await stack.gql(`mutation($id: ID!, $u: ID) { assignConversation(id: $id, userId: $u) { assignee { email } } }`, { id: c.id, u: me }, agent)).data.assignConversation.assignee.email).toBe('agent@acme.test');
    expect((await stack.gql(`mutation($id: ID!) { markRead(id: $id) { unreadCount } }`, { id: c.id }, agent)).data.markRead.unreadCount).toBe(0);
  });

  it('keeps tenants apart: another tenant’s conversation is NOT_FOUND, its users cannot be assigned, its queue is its own', async () => {
    const c = await start();
    const globex = await stack.as('admin@globex.test');
    expect(codes(await stack.gql(MESSAGES, { id: c.id }, globex))).toEqual(['NOT_FOUND']);
    expect(codes(await stack.gql(SEND, { input: { conversationId: c.id, text: 'hi from globex' } }, globex))).toEqual(['NOT_FOUND']);
    const globexUser = (await stack.gql(`{ users { nodes { id } } }`, {}, globex)).data.users.nodes[0].id;
    expect(codes(await stack.gql(`mutation($id: ID!, $u: ID) { assignConversation(id: $id, userId: $u) { id } }`, { id: c.id, u: globexUser }, admin))).toEqual(['NOT_FOUND']);
    const queue = await stack.gql(`{ conversations(first: 100) { totalCount } }`, {}, globex);
    expect(queue.data.conversations.totalCount).toBe(0);
    expect((await stack.gql(MESSAGES, { id: c.id }, agent)).data.conversation.messages.totalCount).toBe(1);
  });

  it('filters the queue by status and assignee', async () => {
    const c = await start();
    await stack.gql(`mutation($id: ID!) { handoffToHuman(id: $id, reason: "now") { id } }`, { id: c.id }, agent);
    const queued = await stack.gql(`{ conversations(filter: { status: [QUEUED], unassigned: true }, first: 100) { nodes { id status } } }`, {}, agent);
    expect(queued.data.conversations.nodes.map((n: any) => n.id)).toContain(c.id);
    expect(queued.data.conversations.nodes.every((n: any) => n.status === 'QUEUED')).toBe(true);
  });

  it('escalates to a ticket owned by the tickets subgraph, linked both ways across subgraphs', async () => {
    const c = await start(agent, { contact: { name: 'Kim', email: 'kim@example.com' }, text: 'My invoice is wrong' });
    const res = await stack.gql(`mutation($id: ID!) { escalateToTicket(id: $id, subject: "Invoice dispute", priority: HIGH, category: "billing") { id } }`, { id: c.id }, agent);
    expect(res.errors).toBeUndefined();
    const Q = `query($id: ID!) { conversation(id: $id) { tickets { number subject priority category requester { email } description conversation { id status } } } }`;
    let tickets: any[] = [];
    for (let i = 0; i < 200 && !tickets.length; i++) {
      tickets = (await stack.gql(Q, { id: c.id }, agent)).data.conversation.tickets;
      if (!tickets.length) await new Promise((r) => setTimeout(r, 25));
    }
    expect(tickets).toHaveLength(1);
    expect(tickets[0]).toMatchObject({ subject: 'Invoice dispute', priority: 'HIGH', category: 'billing', requester: { email: 'kim@example.com' }, conversation: { id: c.id, status: 'BOT' } });
    expect(tickets[0].description).toContain('CUSTOMER: My invoice is wrong');
    const globex = await stack.as('admin@globex.test');
    expect(codes(await stack.gql(`mutation($id: ID!) { escalateToTicket(id: $id) { id } }`, { id: c.id }, globex))).toEqual(['NOT_FOUND']);
  });

  it('loads the queue with each conversation’s latest messages in the same SQL statements for 20 as for 5', async () => {
    for (let i = 0; i < 20; i++) await start(agent, { text: `queue ${i}` });
    const Q = (name: string, n: number) => `query ${name} { conversations(first: ${n}) { nodes { id messages(last: 3) { totalCount nodes { text } } } } }`;
    const five = await stack.gql(Q('QueueFive', 5), {}, agent);
    const twenty = await stack.gql(Q('QueueTwenty', 20), {}, agent);
    expect(five.data.conversations.nodes).toHaveLength(5);
    expect(twenty.data.conversations.nodes).toHaveLength(20);
    expect(twenty.data.conversations.nodes.every((c: any) => c.messages.nodes.length >= 1)).toBe(true);
    const statements = (name: string) =>
      stack.logs.filter((l) => l.service === 'conversations' && String(l.operationName).startsWith(`${name}__`)).reduce((n, l) => n + (l.sqlStatements ?? 0), 0);
    expect(statements('QueueFive')).toBeGreaterThan(0);
    expect(statements('QueueTwenty')).toBe(statements('QueueFive'));
  });
});

const tenantOf = (headers: Record<string, string>) => JSON.parse(Buffer.from(headers.authorization!.split('.')[1]!, 'base64url').toString()).tid as string;
const statementsOf = (service: string, name: string) =>
  stack.logs.filter((l) => l.service === service && String(l.operationName).startsWith(name)).reduce((n, l) => n + (l.sqlStatements ?? 0), 0);

/** `n` tickets linked to a conversation, written straight into the tickets subgraph's table. */
async function linkTickets(conversationId: string, n: number, from: number) {
  const orm = stack.tickets!.orm;
  const schema = orm.config.get('schema');
  const base = Date.parse('2026-03-02T08:00:00.000Z');
  for (let i = 0; i < n; i++) {
    await orm.em.fork().getConnection().execute(
      `insert into "${schema}"."ticket" ("id", "tenant_id", "number", "subject", "description", "status", "priority", "requester_name", "requester_email", "conversation_id", "created_at", "updated_at")
       values (gen_random_uuid(), ?, ?, ?, '', 'OPEN', 'NORMAL', 'Kim', 'kim@example.com', ?, ?, ?)`,
      [tenantOf(agent), from + i, `linked ${i}`, conversationId, new Date(base + i * 1000), new Date(base + i * 1000)],
    );
  }
}

describe('Conversation.tickets (issues 9.8, 10.8)', () => {
  it('returns at most `first` tickets (default 20, at most 100), oldest first, paging on with `after`', async () => {
    const c = await start();
    await linkTickets(c.id, 25, 500_000);
    const Q = `query($id: ID!, $first: Int, $after: ID) { conversation(id: $id) { tickets(first: $first, after: $after) { id subject } } }`;
    const dflt = (await stack.gql(`query($id: ID!) { conversation(id: $id) { tickets { subject } } }`, { id: c.id }, agent)).data.conversation.tickets;
    expect(dflt).toHaveLength(20);
    expect(dflt[0].subject).toBe('linked 0');
    const page = (await stack.gql(Q, { id: c.id, first: 10 }, agent)).data.conversation.tickets;
    const next = (await stack.gql(Q, { id: c.id, first: 100, after: page.at(-1).id }, agent)).data.conversation.tickets;
    expect(next.map((t: any) => t.subject)).toEqual(Array.from({ length: 15 }, (_, i) => `linked ${10 + i}`));
    expect((await stack.gql(Q, { id: c.id, first: 101 }, agent)).errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });

  it('loads the tickets of a whole queue in one statement, the same for 20 conversations as for 5', async () => {
    for (let i = 0; i < 20; i++) {
      const c = await start(agent, { text: `with tickets ${i}` });
      await linkTickets(c.id, 2, 600_000 + i * 10);
    }
    const Q = (name: string, n: number) => `query ${name} { conversations(first: ${n}) { nodes { id tickets(first: 5) { number status } } } }`;
    const five = await stack.gql(Q('QueueTicketsFive', 5), {}, agent);
    const twenty = await stack.gql(Q('QueueTicketsTwenty', 20), {}, agent);
    expect(twenty.data.conversations.nodes.every((c: any) => c.tickets.length === 2)).toBe(true);
    expect(five.data.conversations.nodes).toHaveLength(5);
    expect(statementsOf('tickets', 'QueueTicketsFive__')).toBe(1);
    expect(statementsOf('tickets', 'QueueTicketsTwenty__')).toBe(1);
  });

  it('resolves Message references through a loader: one read for 12 messages as for 3', async () => {
    const c = await start();
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await stack.gql(SEND, { input: { conversationId: c.id, text: `m${i}` } }, agent)).data.sendMessage.message.id);
    const secret = TEST_SECRETS.INTERNAL_SECRET;
    const users = (await stack.gql(`{ users(first: 100) { nodes { id email } } }`, {}, admin)).data.users.nodes;
    // Signed once per request: a subgraph accepts each identity header once.
    const identity = () => ({ [IDENTITY_HEADER]: signIdentity({ kind: 'user', tenantId: tenantOf(agent), userId: users.find((u: any) => u.email === 'agent@acme.test').id, roles: ['AGENT'], scopes: [], audience: 'conversations' }, secret) });
    const refs = (name: string, n: number) =>
      post(stack.conversations!.url, { query: `query ${name}($r: [_Any!]!) { _entities(representations: $r) { ... on Message { id text } } }`, variables: { r: ids.slice(0, n).map((id) => ({ __typename: 'Message', id })) } }, identity());
    const three = await refs('MessageRefsThree', 3);
    const twelve = await refs('MessageRefsTwelve', 12);
    expect(three.data._entities.map((m: any) => m.text)).toEqual(['m0', 'm1', 'm2']);
    expect(twelve.data._entities).toHaveLength(12);
    expect(statementsOf('conversations', 'MessageRefsThree')).toBeGreaterThan(0);
    expect(statementsOf('conversations', 'MessageRefsTwelve')).toBe(statementsOf('conversations', 'MessageRefsThree'));
  });
});

describe('assignment takeover (issue 9.10)', () => {
  it('lets an agent take only an unassigned conversation; taking one over (or round-robin on it) needs SUPERVISOR', async () => {
    const c = await start();
    await stack.gql(`mutation($id: ID!) { handoffToHuman(id: $id, reason: "person please") { id } }`, { id: c.id }, agent);
    const users = (await stack.gql(`{ users(first: 100) { nodes { id email } } }`, {}, admin)).data.users.nodes;
    const id = (email: string) => users.find((u: any) => u.email === email).id;
    const agent2 = await stack.as('agent2@acme.test');
    const sup = await stack.as('supervisor@acme.test');
    const ASSIGN = `mutation($id: ID!, $u: ID) { assignConversation(id: $id, userId: $u) { assignee { email } } }`;
    expect((await stack.gql(ASSIGN, { id: c.id, u: id('agent@acme.test') }, agent)).data.assignConversation.assignee.email).toBe('agent@acme.test');
    const takeover = await stack.gql(ASSIGN, { id: c.id, u: id('agent2@acme.test') }, agent2);
    expect(codes(takeover)).toEqual(['FORBIDDEN']);
    expect(takeover.errors![0]!.message).toMatch(/SUPERVISOR/);
    expect(codes(await stack.gql(`mutation($id: ID!) { assignConversation(id: $id) { id } }`, { id: c.id }, agent2))).toEqual(['FORBIDDEN']);
    const still = (await stack.gql(`query($id: ID!) { conversation(id: $id) { version assignee { email } } }`, { id: c.id }, agent)).data.conversation;
    expect(still.assignee.email).toBe('agent@acme.test');
    expect((await stack.gql(ASSIGN, { id: c.id, u: id('agent2@acme.test') }, sup)).data.assignConversation.assignee.email).toBe('agent2@acme.test');
  });
});

describe('input limits (issue 9.11)', () => {
  it('refuses NUL bytes, oversized metadata and malformed attachments naming the field, storing nothing', async () => {
    const c = await start();
    const file = { name: 'invoice.pdf', url: 'https://files.example.com/invoice.pdf', mimeType: 'application/pdf', size: 1000 };
    const manyKeys = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i]));
    const cases: [Record<string, unknown>, string][] = [
      [{ text: 'hi\u0000there' }, 'text'],
      [{ text: 'x', metadata: { 'bad\u0000key': 1 } }, 'metadata'],
      [{ text: 'x', metadata: { note: 'bad\u0000value' } }, 'metadata'],
      [{ text: 'x', metadata: manyKeys }, 'metadata'],
      [{ text: 'x', metadata: { blob: 'x'.repeat(9000) } }, 'metadata'],
      [{ text: 'x', metadata: { a: { b: { c: { d: { e: { f: 1 } } } } } } }, 'metadata'],
      [{ text: 'x', metadata: ['not', 'an', 'object'] }, 'metadata'],
      [{ text: 'x', attachments: [{ ...file, name: 'n'.repeat(256) }] }, 'attachments.name'],
      [{ text: 'x', attachments: [{ ...file, name: 'a\u0000.pdf' }] }, 'attachments.name'],
      [{ text: 'x', attachments: [{ ...file, url: 'ftp://files.example.com/a' }] }, 'attachments.url'],
      [{ text: 'x', attachments: [{ ...file, url: 'https://' + 'a'.repeat(2100) + '.com' }] }, 'attachments.url'],
      [{ text: 'x', attachments: [{ ...file, url: 'http://' }] }, 'attachments.url'],
      [{ text: 'x', attachments: [{ ...file, mimeType: 'pdf' }] }, 'attachments.mimeType'],
      [{ text: 'x', attachments: [{ ...file, mimeType: 'application/' + 'x'.repeat(130) }] }, 'attachments.mimeType'],
      [{ text: 'x', idempotencyKey: 'k\u0000' }, 'idempotencyKey'],
    ];
    for (const [over, field] of cases) {
      const res = await stack.gql(SEND, { input: { conversationId: c.id, ...over } }, agent);
      expect({ field, ext: res.errors?.[0]?.extensions }).toMatchObject({ field, ext: { code: 'BAD_USER_INPUT', field } });
    }
    expect((await stack.gql(MESSAGES, { id: c.id }, agent)).data.conversation.messages.totalCount).toBe(1);
    const ok = await stack.gql(SEND, { input: { conversationId: c.id, text: 'with a file', attachments: [file], metadata: { channelMessageId: 'wamid.1', nested: { ok: true } } } }, agent);
    expect(ok.errors).toBeUndefined();
  });

  it('limits contact fields and the escalation category', async () => {
    const before = (await stack.gql(`{ conversations(first: 1) { totalCount } }`, {}, agent)).data.conversations.totalCount;
    for (const [contact, field] of [
      [{ name: 'K\u0000m' }, 'contact.name'],
      [{ name: 'k'.repeat(201) }, 'contact.name'],
      [{ email: 'not-an-email' }, 'contact.email'],
      [{ email: 'kim@example.com\u0000' }, 'contact.email'],
      [{ phone: '1'.repeat(51) }, 'contact.phone'],
      [{ externalId: 'x\u0000' }, 'contact.externalId'],
    ] as const) {
      const res = await stack.gql(START, { input: { channel: 'WEB', contact, text: 'hi' } }, agent);
      expect({ field, ext: res.errors?.[0]?.extensions }).toMatchObject({ field, ext: { code: 'BAD_USER_INPUT', field } });
    }
    const tagged = await stack.gql(START, { input: { channel: 'WEB', contact: { name: 'Kim' }, tags: ['vip', 'b\u0000d'] } }, agent);
    expect(tagged.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'tags' });
    expect((await stack.gql(`{ conversations(first: 1) { totalCount } }`, {}, agent)).data.conversations.totalCount).toBe(before);

    const c = await start();
    for (const category of ['c'.repeat(51), 'bil\u0000ling']) {
      const res = await stack.gql(`mutation($id: ID!, $c: String) { escalateToTicket(id: $id, category: $c) { id } }`, { id: c.id, c: category }, agent);
      expect(res.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'category' });
    }
    const subject = await stack.gql(`mutation($id: ID!, $s: String) { escalateToTicket(id: $id, subject: $s) { id } }`, { id: c.id, s: 'a\u0000' }, agent);
    expect(subject.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'subject' });
    expect((await stack.gql(MESSAGES, { id: c.id }, agent)).data.conversation.messages.totalCount).toBe(1); // no escalation note
  });
});
