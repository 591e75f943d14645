import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { DomainEvent } from '@switchboard/kit';
import { startFakeOpenAI, type FakeOpenAI } from '../../subgraphs/models/src/fake-openai';
import { codes, startStack, type Stack } from './stack';

/**
 * The assistant loop through the gateway, on the demo data (acme's active assistant on WEB
 * and WHATSAPP over its help center, the LOCAL provider): customers write through a channel
 * API key, the bot answers with cited article versions or hands off, agents get suggestions,
 * versions roll out, and new tickets are triaged. A local OpenAI-compatible server stands in
 * for a provider where the test needs to see what reaches it.
 */
jest.setTimeout(240_000); // the answer loop runs in the background; the embedded database on a loaded machine is slow

let stack: Stack;
let fake: FakeOpenAI;
let admin: Record<string, string>;
let agent: Record<string, string>;
let customer: Record<string, string>;
let globexAdmin: Record<string, string>;
const clients: Client[] = [];

/**
 * Polls `condition` (sync or async) until it holds. The answer loop runs in the background, so
 * the deadline is generous (a loaded CI machine on the embedded database is slow); a poll that
 * fails (a gateway timeout under load) counts as "not yet", and the last failure is reported.
 */
async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let failure: unknown;
  for (;;) {
    try {
      if (await condition()) return;
    } catch (error) {
      failure = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${failure ? ` (last poll: ${String(failure)})` : ''}`);
    await new Promise((r) => setTimeout(r, failure ? 1000 : 50));
  }
}

const START = `mutation($channel: Channel!, $text: String) { startConversation(input: { channel: $channel, contact: { name: "Robin" }, text: $text }) { id status } }`;
const SEND = `mutation($id: ID!, $text: String!) { sendMessage(input: { conversationId: $id, text: $text, as: CUSTOMER }) { message { id } } }`;
const TURN = `aiTurn { assistantVersion model confidence cacheHit costUsd citations { version title article { id title version } } }`;
const MESSAGES = `query($id: ID!) { conversation(id: $id) { status assistantVersion handoffSummary messages(last: 50) { nodes { id authorKind text ${TURN} } } } }`;

async function ok(query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
  const res = await stack.gql(query, variables, headers);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data;
}

const conversation = async (id: string) => (await ok(MESSAGES, { id }, agent)).conversation;
const botMessages = async (id: string) => (await conversation(id)).messages.nodes.filter((m: any) => m.authorKind === 'BOT');

/** Starts a conversation on `channel` and sends the customer's first message; answers the conversation id. */
async function ask(text: string, channel = 'WEB'): Promise<string> {
  const { id } = (await ok(START, { channel, text: null }, customer)).startConversation;
  await ok(SEND, { id, text }, customer);
  return id;
}

async function settled(id: string, what = 'the assistant to answer or hand off') {
  let last: any;
  await until(
    async () => {
      last = await conversation(id);
      return last.status !== 'BOT' || last.messages.nodes.some((m: any) => m.authorKind === 'BOT');
    },
    what,
  );
  return last;
}

async function articleByTitle(title: string, headers = admin) {
  const hits = (await ok(`query($q: String!) { searchArticles(query: $q, mode: KEYWORD, first: 5) { version article { id title version } } }`, { q: title }, headers)).searchArticles;
  return hits.find((h: any) => h.article.title === title).article;
}

beforeAll(async () => {
  fake = await startFakeOpenAI();
  // Demo help centers and acme's assistant; no demo conversations or tickets (the test makes its own).
  stack = await startStack({ subgraphs: ['assistants'], seed: ['tenants', 'knowledge', 'assistants'], gatewayEnv: { RATE_LIMIT_ENABLED: 'false' } });
  // Right after start the embedded database is busy embedding the demo help centers: logins may time out at first.
  await until(async () => !!(admin = await stack.as('admin@acme.test')), 'a first login');
  agent = await stack.as('agent@acme.test');
  globexAdmin = await stack.as('admin@globex.test');
  const key = await ok(`mutation { createApiKey(input: { name: "web widget", scopes: ["conversations:read", "conversations:write"] }) { secret } }`, {}, admin);
  customer = { 'x-api-key': key.createApiKey.secret };
}, 300_000);

afterAll(async () => {
  for (const c of clients) await c.dispose();
  await stack?.close();
  await fake?.close();
});

describe('the assistant through the gateway', () => {
  it('answers a customer question from the help center, citing the article and its version, live to a messageAdded subscriber', async () => {
    const { id } = (await ok(START, { channel: 'WEB', text: null }, customer)).startConversation;
    const client = createClient({ url: stack.gateway.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: agent, retryAttempts: 0 });
    clients.push(client);
    const live: any[] = [];
    client.subscribe({ query: `subscription($id: ID!) { messageAdded(conversationId: $id) { authorKind text ${TURN} } }`, variables: { id } }, { next: (v) => void live.push(v), error: () => {}, complete: () => {} });
    // The subscription is in place once a probe from the agent arrives.
    let probe = 0;
    await until(() => {
      if (!live.length && probe++ % 20 === 0) void stack.gql(`mutation($id: ID!) { sendMessage(input: { conversationId: $id, text: "probe" }) { created } }`, { id }, agent);
      return live.length > 0;
    }, 'the subscription to start');
    await ok(SEND, { id, text: 'How do I reset my password? I forgot it.' }, customer);
    await until(() => live.some((r) => r.data?.messageAdded?.authorKind === 'BOT'), 'the bot’s answer to arrive live');

    const answer = live.find((r) => r.data?.messageAdded?.authorKind === 'BOT');
    expect(answer.errors).toBeUndefined();
    const article = await articleByTitle('Reset your password');
    const turn = answer.data.messageAdded.aiTurn;
    expect(turn.citations[0]).toEqual({ version: article.version, title: 'Reset your password', article });
    expect(turn).toMatchObject({ assistantVersion: 1, model: 'local-extractive', cacheHit: false });
    expect(turn.confidence).toBeGreaterThanOrEqual(0.35);
    expect(answer.data.messageAdded.text).toMatch(/Forgot password|reset link/i);
    // The same answer through a query, with the turn resolved beside the message.
    const [stored] = await botMessages(id);
    expect(stored.aiTurn).toEqual(turn);
    // Messages the bot did not write have no turn.
    expect((await conversation(id)).messages.nodes.filter((m: any) => m.authorKind !== 'BOT').every((m: any) => m.aiTurn === null)).toBe(true);
  });

  it('answers a redelivered event once', async () => {
    const id = await ask('How long is the password reset link valid?');
    await settled(id);
    expect(await botMessages(id)).toHaveLength(1);
    // The very event, delivered again (as after a crash between answering and acknowledging).
    const rows = await stack.conversations!.orm.em.getConnection().execute(
      `select "id", "type", "tenant_id", "data", "occurred_at" from "${stack.conversations!.orm.config.get('schema')}"."outbox" where "type" = 'message.sent' and "data"->>'conversationId' = ? and "data"->>'authorKind' = 'CUSTOMER'`,
      [id],
    );
    expect(rows).toHaveLength(1);
    const r = rows[0];
    const event: DomainEvent = { id: r.id, type: r.type, tenantId: r.tenant_id, occurredAt: new Date(r.occurred_at).toISOString(), data: r.data };
    await stack.bus.publish([event, event]);
    // A message sent after the redelivery is answered: everything before it has been handled.
    await ok(SEND, { id, text: 'How do I reset my password?' }, customer);
    await until(async () => (await botMessages(id)).length >= 2 || (await conversation(id)).status !== 'BOT', 'the next answer');
    // One answer per customer message: the redelivered event added none.
    expect((await conversation(id)).messages.nodes.map((m: any) => m.authorKind)).toEqual(['CUSTOMER', 'BOT', 'CUSTOMER', 'BOT']);
  });

  it('hands off when the customer asks for a human, with a summary and a system message saying why', async () => {
    const id = await ask('How do I reset my password?');
    await settled(id);
    await ok(SEND, { id, text: 'That did not help. I want to talk to a human please' }, customer);
    await until(async () => (await conversation(id)).status === 'QUEUED', 'the handoff');
    const c = await conversation(id);
    expect(c.handoffSummary).toMatch(/reset my password/);
    expect(c.handoffSummary).toMatch(/asked for a human/);
    expect(c.handoffSummary).toMatch(/Reset your password/); // what was tried
    expect(c.messages.nodes.find((m: any) => m.authorKind === 'SYSTEM').text).toBe('Handed off to a human: the customer asked for a human');
  });

  it('hands off on a request in German too', async () => {
    const id = await ask('Ich möchte bitte mit einem Mitarbeiter sprechen');
    const c = await settled(id);
    expect(c.status).toBe('QUEUED');
    expect(await botMessages(id)).toHaveLength(0);
  });

  it('hands off instead of answering when its confidence is low', async () => {
    const id = await ask('Which football team won the 1954 world cup final?');
    const c = await settled(id);
    expect(c.status).toBe('QUEUED');
    expect(await botMessages(id)).toHaveLength(0);
    expect(c.handoffSummary).toMatch(/low confidence/);
  });

  it('hands off on a blocked topic', async () => {
    const id = await ask('My lawyer says I should reset my password, how?');
    const c = await settled(id);
    expect(c.status).toBe('QUEUED');
    expect(c.handoffSummary).toMatch(/lawyer/);
  });

  it('suggests a reply and articles to the agent once a person has the conversation', async () => {
    const id = await ask('I want a human');
    await settled(id);
    await ok(SEND, { id, text: 'My password reset link did not arrive by email' }, customer);
    let c: any;
    await until(async () => {
      c = (await ok(`query($id: ID!) { conversation(id: $id) { suggestedReply suggestedArticles { title version article { title } } } }`, { id }, agent)).conversation;
      return !!c.suggestedReply;
    }, 'a suggestion');
    expect(c.suggestedArticles[0].title).toBe('Reset your password');
    expect(c.suggestedArticles[0].article).toEqual({ title: 'Reset your password' });
    expect(c.suggestedReply).toMatch(/spam|reset link|email/i);
  });

  it('rolls a new version out to a share of new conversations, and a conversation keeps the version it started with', async () => {
    const input = (instructions: string) => ({ name: 'SMS helper', instructions, channels: ['SMS'], knowledgeTags: [] });
    const created = (await ok(`mutation($input: AssistantInput!) { createAssistant(input: $input) { id latestVersion activeVersion active } }`, { input: input('Version one.') }, admin)).createAssistant;
    expect(created).toMatchObject({ latestVersion: 1, activeVersion: 1, active: false });
    await ok(`mutation($id: ID!) { activateAssistant(id: $id) { active } }`, { id: created.id }, admin);
    const updated = (await ok(`mutation($id: ID!, $input: AssistantInput!) { updateAssistant(id: $id, input: $input) { latestVersion activeVersion } }`, { id: created.id, input: input('Version two.') }, admin)).updateAssistant;
    expect(updated).toEqual({ latestVersion: 2, activeVersion: 1 });
    const rollout = (await ok(`mutation($id: ID!) { startRollout(assistantId: $id, version: 2, sharePercent: 50) { candidate { version sharePercent } } }`, { id: created.id }, admin)).startRollout;
    expect(rollout.candidate).toEqual({ version: 2, sharePercent: 50 });

    const ids: string[] = [];
    for (let i = 0; i < 16; i++) ids.push(await ask('How do I reset my password?', 'SMS'));
    const versions: number[] = [];
    for (const id of ids) versions.push((await settled(id)).assistantVersion);
    expect(new Set(versions)).toEqual(new Set([1, 2]));

    // After promotion new conversations get version 2; one that started on version 1 keeps it.
    await ok(`mutation($id: ID!) { promoteAssistantVersion(assistantId: $id, version: 2) { activeVersion candidate { version } } }`, { id: created.id }, admin);
    const onOne = ids[versions.indexOf(1)]!;
    await ok(SEND, { id: onOne, text: 'How long is the reset link valid?' }, customer);
    await until(async () => (await botMessages(onOne)).length >= 2, 'the second answer');
    expect((await botMessages(onOne)).map((m: any) => m.aiTurn.assistantVersion)).toEqual([1, 1]);
    expect((await settled(await ask('How do I reset my password?', 'SMS'))).assistantVersion).toBe(2);

    const stats = (await ok(`query($id: ID!) { assistant(id: $id) { activeVersion versions { version instructions stats { conversations resolvedByBot handoffs costUsd } } } }`, { id: created.id }, admin)).assistant;
    expect(stats.activeVersion).toBe(2);
    expect(stats.versions.map((v: any) => v.instructions)).toEqual(['Version one.', 'Version two.']);
    expect(stats.versions[0].stats.conversations + stats.versions[1].stats.conversations).toBe(17);
  });

  it('refuses bad assistant input, other tenants and analysts, and writes nothing', async () => {
    const bad = await stack.gql(`mutation { createAssistant(input: { name: "x", instructions: "y", channels: [] }) { id } }`, {}, admin);
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'channels' });
    const share = await stack.gql(`query { assistants { id } }`, {}, admin);
    const demo = share.data.assistants[0].id;
    expect(codes(await stack.gql(`mutation($id: ID!) { startRollout(assistantId: $id, version: 1, sharePercent: 50) { id } }`, { id: demo }, admin))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await stack.gql(`query($id: ID!) { assistant(id: $id) { id } }`, { id: demo }, globexAdmin))).toEqual(['NOT_FOUND']);
    expect(codes(await stack.gql(`mutation($id: ID!) { activateAssistant(id: $id) { id } }`, { id: demo }, globexAdmin))).toEqual(['NOT_FOUND']);
    expect(codes(await stack.gql(`mutation { createAssistant(input: { name: "x", instructions: "y", channels: [WEB] }) { id } }`, {}, await stack.as('analyst@acme.test')))).toEqual(['FORBIDDEN']);
    expect((await stack.gql(`query { assistants { id } }`, {}, globexAdmin)).data.assistants).toEqual([]);
  });

  it('never retrieves or cites another tenant’s articles, and keeps turns and summaries to the tenant', async () => {
    // globex's help center is about smart-home devices; acme's bot must not find it.
    const globexTitles = new Set((await ok(`{ articles(first: 100) { nodes { id title } } }`, {}, globexAdmin)).articles.nodes.map((a: any) => a.id));
    const id = await ask('How do I pair my thermostat with the hub?');
    const c = await settled(id);
    const turns = c.messages.nodes.filter((m: any) => m.aiTurn).flatMap((m: any) => m.aiTurn.citations);
    for (const t of turns) expect(globexTitles.has(t.article.id)).toBe(false);
    const foreign = await stack.gql(MESSAGES, { id }, globexAdmin);
    expect(codes(foreign)).toContain('NOT_FOUND');
    // What retrieval found is kept as the agent's suggestion once a person has the conversation: acme's articles only.
    const queued = await ask('I want a human');
    await settled(queued);
    await ok(SEND, { id: queued, text: 'How do I pair my thermostat with the hub?' }, customer);
    let suggested: any[] | null = null;
    await until(async () => {
      suggested = (await ok(`query($id: ID!) { conversation(id: $id) { suggestedArticles { article { id } } } }`, { id: queued }, agent)).conversation.suggestedArticles;
      return suggested !== null;
    }, 'the retrieval for the suggestion');
    for (const a of suggested!) expect(globexTitles.has(a.article.id)).toBe(false);
    expect(codes(await stack.gql(`query($id: ID!) { conversation(id: $id) { suggestedReply } }`, { id: queued }, globexAdmin))).toContain('NOT_FOUND');
  });

  it('masks PII before it reaches the provider, and hands off when the budget is exhausted', async () => {
    const provider = (await ok(`mutation($input: ProviderInput!) { createProvider(input: $input) { id } }`, { input: { name: 'fake', kind: 'OPENAI_COMPATIBLE', baseUrl: fake.url, apiKey: 'sk-test', timeoutMs: 5000 } }, admin)).createProvider.id;
    const model = (await ok(`mutation($input: ModelInput!) { createModel(input: $input) { id } }`, { input: { providerId: provider, name: 'fake-chat', purpose: 'CHAT', contextWindow: 8192, inputPricePer1K: 0.5, outputPricePer1K: 1.5, quality: 5 } }, admin)).createModel.id;
    fake.behave('fake-chat', { text: 'Open the sign-in page and choose Forgot password to get a reset link.' });
    await ok(`mutation($input: RoutingPolicyInput!) { setRoutingPolicy(input: $input) { strategy } }`, { input: { strategy: 'ORDERED', chain: [model], cacheTtlSeconds: 0 } }, admin);

    const id = await ask('Hi, I am robin.meyer@example.com, phone +49 151 23456789. How do I reset my password?');
    const state = await settled(id);
    const [answer] = await botMessages(id);
    expect({ status: state.status, summary: state.handoffSummary }).toEqual({ status: 'BOT', summary: null });
    expect(answer.aiTurn.model).toBe('fake-chat');
    expect(answer.aiTurn.costUsd).toBeGreaterThan(0);
    const sent = JSON.stringify(fake.calls('fake-chat').map((r) => r.body));
    expect(sent).toContain('reset my password');
    expect(sent).not.toContain('robin.meyer@example.com');
    expect(sent).not.toContain('23456789');

    // A budget that cannot pay for another answer: the bot hands off instead of going silent.
    await ok(`mutation($input: RoutingPolicyInput!) { setRoutingPolicy(input: $input) { strategy } }`, { input: { strategy: 'ORDERED', chain: [model], cacheTtlSeconds: 0, monthlyBudgetUsd: 0.000001 } }, admin);
    const broke = await ask('How do I reset my password?');
    const c = await settled(broke);
    expect(c.status).toBe('QUEUED');
    expect(c.handoffSummary).toMatch(/budget is exhausted/);
    await ok(`mutation($input: RoutingPolicyInput!) { setRoutingPolicy(input: $input) { strategy } }`, { input: { strategy: 'CHEAPEST' } }, admin);
  });

  it('triages a new ticket without a category with the tenant’s classifier, through the normal write path', async () => {
    const create = (subject: string, description: string, category?: string) =>
      ok(`mutation($input: CreateTicketInput!) { createTicket(input: $input) { id } }`, { input: { subject, description, requester: { name: 'Robin', email: 'robin@example.com' }, ...(category ? { category } : {}) } }, agent);
    const examples: [string, string, string][] = [
      ['Invoice shows the wrong amount', 'I was charged twice on my last invoice', 'billing'],
      ['Refund for duplicate charge', 'Please refund the duplicate payment on my card', 'billing'],
      ['Payment failed', 'My card payment failed when paying the invoice', 'billing'],
      ['Change billing address on invoices', 'The invoice needs our new billing address', 'billing'],
      ['Charged after cancelling', 'I still got charged on my card after I cancelled', 'billing'],
      ['Parcel never arrived', 'The delivery of my parcel is late and tracking shows nothing', 'shipping'],
      ['Tracking number not working', 'The tracking number for my shipment does not work', 'shipping'],
      ['Package damaged in delivery', 'The parcel arrived damaged by the courier', 'shipping'],
      ['Change delivery address', 'Please ship my order to a different address', 'shipping'],
      ['Shipment stuck in customs', 'My international shipment is held by customs', 'shipping'],
      ['Cannot sign in', 'Login fails with my password, account locked', 'account'],
      ['Two-factor code rejected', 'The 2FA code from my authenticator app is rejected at login', 'account'],
      ['Delete my account', 'Please close my account and delete my login', 'account'],
      ['Change account email', 'I need to change the email of my account login', 'account'],
    ];
    for (const [s, d, c] of examples) await create(s, d, c);
    const { id } = (await create('Card charged twice', 'My card was charged twice for one invoice, please refund')).createTicket;
    let t: any;
    await until(async () => {
      t = (await ok(`query($id: ID!) { ticket(id: $id) { category triage { category priority confidence decidedBy applied } history { field to } } }`, { id }, agent)).ticket;
      return !!t.triage?.applied; // recorded first, applied once tickets took the update
    }, 'the triage');
    expect(t.triage).toMatchObject({ category: 'billing', decidedBy: 'CLASSIFIER', applied: true });
    expect(t.triage.confidence).toBeGreaterThanOrEqual(0.6);
    expect(t.category).toBe('billing');
    expect(t.history.some((h: any) => h.field === 'category' && h.to === 'billing')).toBe(true);
    // Another tenant never sees it.
    expect(codes(await stack.gql(`query($id: ID!) { ticket(id: $id) { triage { category } } }`, { id }, globexAdmin))).toContain('NOT_FOUND');
  });
});
