import { BadInputError, ConflictError, NotFoundError } from '@switchboard/kit';
import { randomUUID } from 'node:crypto';
import type { Conversation, ConversationStore, Message, NewConversation, NewMessage } from '../src';
import { roundRobinPatch } from '../src/modules/conversations/round-robin';

/**
 * The behaviour every ConversationStore must have, as a function of a store factory, so
 * one suite runs against PostgreSQL and MongoDB alike. Every test works in tenants of its
 * own (fresh UUIDs), so tests do not depend on each other or on order.
 */

export interface StoredEvent {
  type: string;
  data: Record<string, unknown>;
}

export interface ContractHarness {
  store: ConversationStore;
  /** The domain events the store recorded for a tenant (its outbox); absent when the store records none yet. */
  events?(tenantId: string): Promise<StoredEvent[]>;
  /**
   * Makes the database refuse one kind of write inside the store's own transaction — new
   * messages with the text `refuse-me`, or `message.sent` events — until the returned
   * function is called. Used to prove a failed append leaves nothing behind.
   */
  refuse?(what: 'message' | 'event'): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface ContractOptions {
  /** Runs `fn` and answers how many statements it sent to the database (stores that can count them). */
  countStatements?(fn: () => Promise<unknown>): Promise<number>;
  name: string;
  setup(): Promise<ContractHarness>;
  /** When set, the suite is skipped (describe.skip) and this reason is printed. */
  skip?: string;
  /** The store records domain events in the same transaction: the harness has `events` and `refuse`. */
  outbox: boolean;
}

const tenant = () => randomUUID();

function conversationInput(over: Partial<NewConversation> = {}): NewConversation {
  return {
    channel: 'WEB',
    contact: { name: 'Ada Lovelace', email: 'ada@example.test', phone: '+44 20 7946 0000', externalIds: { WEB: 'visitor-1', WHATSAPP: '+447700900000' } },
    tags: ['billing'],
    ...over,
  };
}

const say = (text: string, over: Partial<NewMessage> = {}): NewMessage => ({ authorKind: 'CUSTOMER', text, ...over });

const minutes = (n: number) => new Date(Date.UTC(2026, 0, 1, 9, 0, 0) + n * 60_000);

export function storeContract(options: ContractOptions): void {
  if (options.skip) {
    process.stdout.write(`${options.name} store contract suite skipped: ${options.skip}\n`);
  }
  const describeOrSkip = options.skip ? describe.skip : describe;

  describeOrSkip(`${options.name} ConversationStore contract`, () => {
    let h: ContractHarness;
    let store: ConversationStore;

    beforeAll(async () => {
      h = await options.setup();
      store = h.store;
    });
    afterAll(async () => {
      await h?.close();
    });

    async function appendAll(tenantId: string, conversationId: string, texts: string[]): Promise<Message[]> {
      const out: Message[] = [];
      for (const [i, text] of texts.entries()) {
        out.push((await store.appendMessage(tenantId, conversationId, say(text, { authorKind: i % 3 === 1 ? 'AGENT' : 'CUSTOMER' }))).message);
      }
      return out;
    }

    describe('conversations and contacts', () => {
      it('creates a conversation with a new contact, with defaults, and reads both back', async () => {
        const t = tenant();
        const at = minutes(0);
        const c = await store.createConversation(t, conversationInput({ createdAt: at, assigneeId: null }));
        expect(c).toMatchObject({
          tenantId: t,
          channel: 'WEB',
          status: 'BOT',
          priority: 'NORMAL',
          assigneeId: null,
          tags: ['billing'],
          unreadCount: 0,
          version: 1,
          contact: { tenantId: t, name: 'Ada Lovelace', email: 'ada@example.test', phone: '+44 20 7946 0000', externalIds: { WEB: 'visitor-1', WHATSAPP: '+447700900000' } },
        });
        expect(c.createdAt.toISOString()).toBe(at.toISOString());
        expect(c.lastMessageAt.toISOString()).toBe(at.toISOString());
        expect(await store.getConversation(t, c.id)).toEqual(c);
        expect(await store.getContact(t, c.contact.id)).toEqual(c.contact);
        expect(await store.getConversations(t, [c.id, randomUUID(), 'not-an-id'])).toEqual([c]);
      });

      it('starts a second conversation for an existing contact, and refuses an unknown contact', async () => {
        const t = tenant();
        const first = await store.createConversation(t, conversationInput());
        const second = await store.createConversation(t, { channel: 'WHATSAPP', contactId: first.contact.id, status: 'QUEUED', priority: 'HIGH' });
        expect(second).toMatchObject({ channel: 'WHATSAPP', status: 'QUEUED', priority: 'HIGH', tags: [], contact: first.contact });
        await expect(store.createConversation(t, { channel: 'SMS', contactId: randomUUID() })).rejects.toBeInstanceOf(NotFoundError);
        expect((await store.listConversations(t)).totalCount).toBe(2);
      });

      it('answers missing and malformed ids as missing', async () => {
        const t = tenant();
        for (const id of [randomUUID(), 'not-an-id']) {
          expect(await store.getConversation(t, id)).toBeNull();
          expect(await store.getContact(t, id)).toBeNull();
          expect(await store.getMessages(t, [id])).toEqual([]);
          expect((await store.listMessages(t, id)).edges).toEqual([]);
          await expect(store.updateConversation(t, id, 1, { status: 'QUEUED' })).rejects.toBeInstanceOf(NotFoundError);
          await expect(store.appendMessage(t, id, say('hello?'))).rejects.toBeInstanceOf(NotFoundError);
          await expect(store.markRead(t, id)).rejects.toBeInstanceOf(NotFoundError);
        }
      });
    });

    describe('tenant isolation', () => {
      it('treats another tenant’s ids as missing for every read and write, and leaves its data untouched', async () => {
        const acme = tenant();
        const globex = tenant();
        const a = await store.createConversation(acme, conversationInput({ status: 'QUEUED' }));
        const { message } = await store.appendMessage(acme, a.id, say('acme secret', { idempotencyKey: 'shared-key' }));
        const before = await store.getConversation(acme, a.id);

        expect(await store.getConversation(globex, a.id)).toBeNull();
        expect(await store.getConversations(globex, [a.id])).toEqual([]);
        expect(await store.getContact(globex, a.contact.id)).toBeNull();
        expect(await store.getMessages(globex, [message.id])).toEqual([]);
        const foreignMessages = await store.listMessages(globex, a.id);
        expect(foreignMessages.edges).toEqual([]);
        expect(foreignMessages.totalCount).toBe(0);
        expect((await store.listConversations(globex)).totalCount).toBe(0);
        expect((await store.listConversations(globex, { status: ['QUEUED'] })).edges).toEqual([]);
        expect(Object.values(await store.countByStatus(globex)).every((n) => n === 0)).toBe(true);

        await expect(store.updateConversation(globex, a.id, 1, { status: 'CLOSED', assigneeId: 'intruder' })).rejects.toBeInstanceOf(NotFoundError);
        await expect(store.appendMessage(globex, a.id, say('injected'))).rejects.toBeInstanceOf(NotFoundError);
        await expect(store.appendMessage(globex, a.id, say('injected', { idempotencyKey: 'shared-key' }))).rejects.toBeInstanceOf(NotFoundError);
        await expect(store.markRead(globex, a.id)).rejects.toBeInstanceOf(NotFoundError);
        await expect(store.createConversation(globex, { channel: 'WEB', contactId: a.contact.id })).rejects.toBeInstanceOf(NotFoundError);

        // Idempotency keys are per tenant: globex's own conversation may use the same key.
        const g = await store.createConversation(globex, conversationInput());
        const theirs = await store.appendMessage(globex, g.id, say('globex hello', { idempotencyKey: 'shared-key' }));
        expect(theirs.created).toBe(true);
        expect(theirs.message.id).not.toBe(message.id);
        expect(theirs.message.text).toBe('globex hello');

        expect(await store.getConversation(acme, a.id)).toEqual(before);
        const acmeMessages = await store.listMessages(acme, a.id);
        expect(acmeMessages.edges.map((e) => e.node)).toEqual([message]);
        expect((await store.countByStatus(acme)).QUEUED).toBe(1);
      });
    });

    describe('idempotent appendMessage', () => {
      it('returns the stored message with created=false on a retry, and changes nothing', async () => {
        const t = tenant();
        const c = await store.createConversation(t, conversationInput());
        const first = await store.appendMessage(t, c.id, say('where is my parcel?', { idempotencyKey: 'send-1' }));
        expect(first.created).toBe(true);
        expect(first.message.idempotencyKey).toBe('send-1');
        const after = await store.getConversation(t, c.id);
        const retry = await store.appendMessage(t, c.id, say('where is my parcel? (retried)', { idempotencyKey: 'send-1' }));
        expect(retry).toEqual({ created: false, message: first.message });
        expect(await store.getConversation(t, c.id)).toEqual(after);
        expect(after).toMatchObject({ unreadCount: 1, lastMessageAt: first.message.createdAt });
        expect((await store.listMessages(t, c.id)).totalCount).toBe(1);
      });

      it('scopes a key to its sender: an agent’s key K never swallows a customer’s message with key K', async () => {
        const t = tenant();
        const c = await store.createConversation(t, conversationInput());
        const agent = randomUUID();
        const fromAgent = await store.appendMessage(t, c.id, say('agent reply', { authorKind: 'AGENT', authorId: agent, idempotencyKey: 'K' }));
        // A connector (an API key: no author id) sends the customer's message with the same key.
        const fromCustomer = await store.appendMessage(t, c.id, say('customer message', { idempotencyKey: 'K' }));
        expect(fromCustomer.created).toBe(true);
        expect(fromCustomer.message).toMatchObject({ authorKind: 'CUSTOMER', authorId: null, text: 'customer message' });
        // Another agent, and a bot, have keys of their own too.
        const otherAgent = await store.appendMessage(t, c.id, say('second agent', { authorKind: 'AGENT', authorId: randomUUID(), idempotencyKey: 'K' }));
        const bot = await store.appendMessage(t, c.id, say('bot', { authorKind: 'BOT', idempotencyKey: 'K' }));
        expect([otherAgent.created, bot.created]).toEqual([true, true]);
        // Each sender's retry still finds its own message, and only that.
        expect(await store.appendMessage(t, c.id, say('agent reply (retried)', { authorKind: 'AGENT', authorId: agent, idempotencyKey: 'K' }))).toEqual({ created: false, message: fromAgent.message });
        expect(await store.appendMessage(t, c.id, say('customer message (retried)', { idempotencyKey: 'K' }))).toEqual({ created: false, message: fromCustomer.message });
        expect((await store.listMessages(t, c.id)).totalCount).toBe(4);
        expect((await store.getConversation(t, c.id))!.unreadCount).toBe(1);
      });

      it('scopes a key to its sender ref: two integrations sending customer messages with key K keep both', async () => {
        const t = tenant();
        const c = await store.createConversation(t, conversationInput());
        const [whatsapp, crm] = [`service:integrations:${randomUUID()}`, `key:${randomUUID()}`];
        const first = await store.appendMessage(t, c.id, say('from WhatsApp', { senderRef: whatsapp, idempotencyKey: '1' }));
        const second = await store.appendMessage(t, c.id, say('from the CRM', { senderRef: crm, idempotencyKey: '1' }));
        expect([first.created, second.created]).toEqual([true, true]);
        expect(second.message).toMatchObject({ authorKind: 'CUSTOMER', authorId: null, senderRef: crm, text: 'from the CRM' });
        // Each key's retry finds its own message; a person's message never has a sender key.
        expect(await store.appendMessage(t, c.id, say('from WhatsApp (retried)', { senderRef: whatsapp, idempotencyKey: '1' }))).toEqual({ created: false, message: first.message });
        expect(await store.appendMessage(t, c.id, say('from the CRM (retried)', { senderRef: crm, idempotencyKey: '1' }))).toEqual({ created: false, message: second.message });
        const keyless = await store.appendMessage(t, c.id, say('no sender key', { idempotencyKey: '1' }));
        expect(keyless).toMatchObject({ created: true, message: { senderRef: null } });
        expect(await store.appendMessage(t, c.id, say('no sender key (retried)', { idempotencyKey: '1' }))).toEqual({ created: false, message: keyless.message });
        expect((await store.listMessages(t, c.id)).edges.map((e) => e.node.text)).toEqual(['from WhatsApp', 'from the CRM', 'no sender key']);
        expect((await store.getMessages(t, [second.message.id]))[0]).toEqual(second.message);
      });

      it('scopes a key to its conversation: the same sender’s key K in two conversations is two messages', async () => {
        const t = tenant();
        const c1 = await store.createConversation(t, conversationInput());
        const c2 = await store.createConversation(t, conversationInput());
        const results = await Promise.all([c1, c2].map((c) => store.appendMessage(t, c.id, say(`to ${c.id}`, { idempotencyKey: 'k' }))));
        expect(results.map((r) => r.created)).toEqual([true, true]);
        expect(results.map((r) => r.message.conversationId)).toEqual([c1.id, c2.id]);
        expect((await store.listMessages(t, c1.id)).totalCount).toBe(1);
        expect((await store.listMessages(t, c2.id)).totalCount).toBe(1);
        expect(await store.appendMessage(t, c2.id, say('again', { idempotencyKey: 'k' }))).toEqual({ created: false, message: results[1]!.message });
      });

      it('stores one message when 10 retries run concurrently', async () => {
        const t = tenant();
        const c = await store.createConversation(t, conversationInput());
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.appendMessage(t, c.id, say(`attempt ${i}`, { idempotencyKey: 'burst' }))));
        expect(results.filter((r) => r.created)).toHaveLength(1);
        const winner = results.find((r) => r.created)!.message;
        expect(new Set(results.map((r) => r.message.id))).toEqual(new Set([winner.id]));
        expect(results.every((r) => r.message.text === winner.text)).toBe(true);
        const list = await store.listMessages(t, c.id);
        expect(list.totalCount).toBe(1);
        expect(list.edges.map((e) => e.node)).toEqual([winner]);
        expect(await store.getConversation(t, c.id)).toMatchObject({ unreadCount: 1, lastMessageAt: winner.createdAt });
      });

      it('stores every message of concurrent sends without keys, with exact counters', async () => {
        const t = tenant();
        const c = await store.createConversation(t, conversationInput());
        const sent = await Promise.all(Array.from({ length: 20 }, (_, i) => store.appendMessage(t, c.id, say(`burst ${i}`))));
        expect(sent.every((r) => r.created)).toBe(true);
        const list = await store.listMessages(t, c.id, { first: 100 });
        expect(list.totalCount).toBe(20);
        expect(new Set(list.edges.map((e) => e.node.text))).toEqual(new Set(sent.map((r) => r.message.text)));
        const times = list.edges.map((e) => e.node.createdAt.getTime());
        expect(times).toEqual([...times].sort((x, y) => x - y));
        expect(await store.getConversation(t, c.id)).toMatchObject({ unreadCount: 20, lastMessageAt: list.edges.at(-1)!.node.createdAt });
      });
    });

    describe('messages', () => {
      it('round-trips text, attachments, metadata and authors exactly', async () => {
        const t = tenant();
        const c = await store.createConversation(t, conversationInput());
        const input: NewMessage = {
          authorKind: 'AGENT',
          authorId: 'user-42',
          text: `It's "fine" \\ really? 100% — ünïcödé 🚀\nline two; drop table message; --`,
          attachments: [{ name: 'invoice.pdf', url: 'https://files.example.test/a?b=1&c=2', mimeType: 'application/pdf', size: 12345 }],
          metadata: { source: 'widget', nested: { n: 1, list: [true, null, 'x'] } },
        };
        const { message } = await store.appendMessage(t, c.id, input);
        expect(message).toMatchObject({ ...input, tenantId: t, conversationId: c.id, idempotencyKey: null });
        expect(await store.getMessages(t, [message.id])).toEqual([message]);
        expect((await store.listMessages(t, c.id)).edges[0]!.node).toEqual(message);
      });

      it('lists oldest to newest and pages forward and backward with no gaps or duplicates', async () => {
        const t = tenant();
        const c = await store.createConversation(t, conversationInput());
        const other = await store.createConversation(t, conversationInput());
        const texts = Array.from({ length: 25 }, (_, i) => `m${i}`);
        const sent = await appendAll(t, c.id, texts);
        await appendAll(t, other.id, ['elsewhere']);
        const times = sent.map((m) => m.createdAt.getTime());
        for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThan(times[i - 1]!);

        const forward: string[] = [];
        const sizes: number[] = [];
        let page = await store.listMessages(t, c.id, { first: 7 });
        expect(page.pageInfo.hasPreviousPage).toBe(false);
        for (;;) {
          expect(page.totalCount).toBe(25);
          forward.push(...page.edges.map((e) => e.node.text));
          sizes.push(page.edges.length);
          if (!page.pageInfo.hasNextPage) break;
          page = await store.listMessages(t, c.id, { first: 7, after: page.pageInfo.endCursor });
          expect(page.pageInfo.hasPreviousPage).toBe(true);
        }
        expect(forward).toEqual(texts);
        expect(sizes).toEqual([7, 7, 7, 4]);

        const backward: string[] = [];
        page = await store.listMessages(t, c.id, { last: 7 });
        expect(page.pageInfo.hasNextPage).toBe(false);
        for (;;) {
          backward.unshift(...page.edges.map((e) => e.node.text));
          if (!page.pageInfo.hasPreviousPage) break;
          page = await store.listMessages(t, c.id, { last: 7, before: page.pageInfo.startCursor });
          expect(page.pageInfo.hasNextPage).toBe(true);
        }
        expect(backward).toEqual(texts);

        const newest = await store.listMessages(t, c.id);
        expect(newest.edges.map((e) => e.node.text)).toEqual(texts.slice(5));
        expect(newest.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });

        const all = await store.listMessages(t, c.id, { first: 100 });
        const cursor = (i: number) => all.edges[i]!.cursor;
        const window = await store.listMessages(t, c.id, { first: 100, after: cursor(4), before: cursor(10) });
        expect(window.edges.map((e) => e.node.text)).toEqual(['m5', 'm6', 'm7', 'm8', 'm9']);
        const windowBack = await store.listMessages(t, c.id, { last: 2, after: cursor(4), before: cursor(10) });
        expect(windowBack.edges.map((e) => e.node.text)).toEqual(['m8', 'm9']);

        // Catching up after a reconnect: what came after the last cursor, and only that.
        const end = all.pageInfo.endCursor;
        expect((await store.listMessages(t, c.id, { first: 10, after: end })).edges).toEqual([]);
        await appendAll(t, c.id, ['late']);
        expect((await store.listMessages(t, c.id, { first: 10, after: end })).edges.map((e) => e.node.text)).toEqual(['late']);
      });

      it('gives the first or last page of several conversations at once, equal to listMessages of each', async () => {
        const t = tenant();
        const a = await store.createConversation(t, conversationInput());
        const b = await store.createConversation(t, conversationInput());
        const empty = await store.createConversation(t, conversationInput());
        await appendAll(t, a.id, ['a0', 'a1', 'a2', 'a3', 'a4']);
        await appendAll(t, b.id, ['b0']);
        const foreign = await store.createConversation(tenant(), conversationInput());
        await appendAll(foreign.tenantId, foreign.id, ['secret']);
        for (const page of [{ last: 3 }, { first: 2 }, {}]) {
          const pages = await store.firstPages(t, [a.id, b.id, empty.id, foreign.id], page);
          for (const c of [a, b, empty]) expect(pages.get(c.id)).toEqual(await store.listMessages(t, c.id, page));
          expect(pages.get(foreign.id)!.edges).toEqual([]);
        }
        expect((await store.firstPages(t, [a.id], { last: 3 })).get(a.id)!.edges.map((e) => e.node.text)).toEqual(['a2', 'a3', 'a4']);
      });

      it('refuses bad page arguments and cursors from elsewhere', async () => {
        const t = tenant();
        const c = await store.createConversation(t, conversationInput());
        await appendAll(t, c.id, ['a', 'b']);
        const conversationCursor = (await store.listConversations(t)).pageInfo.endCursor!;
        await expect(store.listMessages(t, c.id, { after: 'garbage' })).rejects.toBeInstanceOf(BadInputError);
        await expect(store.listMessages(t, c.id, { before: conversationCursor })).rejects.toBeInstanceOf(BadInputError);
        await expect(store.listMessages(t, c.id, { first: 0 })).rejects.toBeInstanceOf(BadInputError);
        await expect(store.listMessages(t, c.id, { last: 101 })).rejects.toBeInstanceOf(BadInputError);
        await expect(store.listMessages(t, c.id, { first: 1, last: 1 })).rejects.toBeInstanceOf(BadInputError);
        const messageCursor = (await store.listMessages(t, c.id)).pageInfo.endCursor!;
        await expect(store.listConversations(t, {}, { after: messageCursor })).rejects.toBeInstanceOf(BadInputError);
      });
    });

    describe('lastMessageAt and unreadCount', () => {
      it('moves with every message, counts customer messages only, and markRead zeroes it without touching the version', async () => {
        const t = tenant();
        const c = await store.createConversation(t, conversationInput({ createdAt: minutes(0) }));
        const m1 = await store.appendMessage(t, c.id, say('hi', { createdAt: minutes(1) }));
        expect(m1.message.createdAt.toISOString()).toBe(minutes(1).toISOString());
        expect(await store.getConversation(t, c.id)).toMatchObject({ unreadCount: 1, lastMessageAt: minutes(1), version: 1 });
        await store.appendMessage(t, c.id, { authorKind: 'BOT', text: 'How can I help?', createdAt: minutes(2) });
        await store.appendMessage(t, c.id, { authorKind: 'AGENT', authorId: 'agent-1', text: 'Hello!', createdAt: minutes(3) });
        await store.appendMessage(t, c.id, { authorKind: 'SYSTEM', text: 'Agent joined', createdAt: minutes(4) });
        expect(await store.getConversation(t, c.id)).toMatchObject({ unreadCount: 1, lastMessageAt: minutes(4) });
        await store.appendMessage(t, c.id, say('still there?', { createdAt: minutes(5) }));
        expect(await store.getConversation(t, c.id)).toMatchObject({ unreadCount: 2, lastMessageAt: minutes(5) });

        // A message stamped before the newest one is placed right after it: the list order is the append order.
        const early = await store.appendMessage(t, c.id, say('sent from a slow phone', { createdAt: minutes(2) }));
        expect(early.message.createdAt.getTime()).toBe(minutes(5).getTime() + 1);
        expect((await store.listMessages(t, c.id)).edges.at(-1)!.node.id).toBe(early.message.id);

        const read = await store.markRead(t, c.id);
        expect(read).toMatchObject({ id: c.id, unreadCount: 0, version: 1, lastMessageAt: early.message.createdAt });
        expect(await store.getConversation(t, c.id)).toEqual(read);
        // Neither messages nor markRead invalidate an agent's expectedVersion.
        expect((await store.updateConversation(t, c.id, 1, { status: 'QUEUED' })).version).toBe(2);
      });
    });

    describe('optimistic versions', () => {
      it('applies a patch at the expected version and bumps it; a stale version is CONFLICT and changes nothing', async () => {
        const t = tenant();
        const c = await store.createConversation(t, conversationInput());
        const updated = await store.updateConversation(t, c.id, 1, { status: 'ASSIGNED', assigneeId: 'agent-1', tags: ['vip', 'billing'], priority: 'URGENT' });
        expect(updated).toMatchObject({ status: 'ASSIGNED', assigneeId: 'agent-1', tags: ['vip', 'billing'], priority: 'URGENT', version: 2, channel: 'WEB', contact: c.contact });
        expect(updated.updatedAt.getTime()).toBeGreaterThan(c.updatedAt.getTime());
        expect(await store.getConversation(t, c.id)).toEqual(updated);

        await expect(store.updateConversation(t, c.id, 1, { status: 'CLOSED' })).rejects.toMatchObject({ extensions: { code: 'CONFLICT', currentVersion: 2 } });
        expect(await store.getConversation(t, c.id)).toEqual(updated);

        const unassigned = await store.updateConversation(t, c.id, 2, { assigneeId: null, status: 'QUEUED' });
        expect(unassigned).toMatchObject({ assigneeId: null, status: 'QUEUED', priority: 'URGENT', version: 3 });
      });

      it('lets exactly one of several concurrent updates with the same expectedVersion win', async () => {
        const t = tenant();
        const c = await store.createConversation(t, conversationInput({ status: 'QUEUED' }));
        for (const writers of [2, 5]) {
          const current = (await store.getConversation(t, c.id))!;
          const results = await Promise.allSettled(
            Array.from({ length: writers }, (_, i) => store.updateConversation(t, c.id, current.version, { status: 'ASSIGNED', assigneeId: `agent-${writers}-${i}` })),
          );
          const won = results.filter((r): r is PromiseFulfilledResult<Conversation> => r.status === 'fulfilled');
          const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
          expect(won).toHaveLength(1);
          expect(lost).toHaveLength(writers - 1);
          for (const l of lost) expect(l.reason).toBeInstanceOf(ConflictError);
          const after = (await store.getConversation(t, c.id))!;
          expect(after.version).toBe(current.version + 1);
          expect(after.assigneeId).toBe(won[0]!.value.assigneeId);
        }
      });
    });

    describe('the queue: listConversations and countByStatus', () => {
      async function seed() {
        const t = tenant();
        const specs: [string, Partial<NewConversation>][] = [
          ['bot-web', { status: 'BOT', channel: 'WEB' }],
          ['queued-wa', { status: 'QUEUED', channel: 'WHATSAPP' }],
          ['queued-sms', { status: 'QUEUED', channel: 'SMS' }],
          ['assigned-a1-wa', { status: 'ASSIGNED', channel: 'WHATSAPP', assigneeId: 'agent-1' }],
          ['assigned-a2-email', { status: 'ASSIGNED', channel: 'EMAIL', assigneeId: 'agent-2' }],
          ['resolved-a1-slack', { status: 'RESOLVED', channel: 'SLACK', assigneeId: 'agent-1' }],
          ['closed-voice', { status: 'CLOSED', channel: 'VOICE' }],
          ['queued-teams-tie', { status: 'QUEUED', channel: 'TEAMS' }],
        ];
        const byName = new Map<string, Conversation>();
        for (const [i, [name, over]] of specs.entries()) {
          // The last two share a timestamp: ties are broken by id, and paging must not lose either.
          byName.set(name, await store.createConversation(t, conversationInput({ ...over, createdAt: minutes(Math.min(i, 6)) })));
        }
        return { t, byName };
      }

      const newestFirst = (cs: Conversation[]) =>
        [...cs].sort((a, b) => b.lastMessageAt.getTime() - a.lastMessageAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).map((c) => c.id);

      it('lists newest lastMessageAt first and pages with opaque cursors, no duplicates or gaps', async () => {
        const { t, byName } = await seed();
        const expected = newestFirst([...byName.values()]);
        const seen: string[] = [];
        let page = await store.listConversations(t, {}, { first: 3 });
        for (;;) {
          expect(page.totalCount).toBe(8);
          seen.push(...page.edges.map((e) => e.node.id));
          if (!page.pageInfo.hasNextPage) break;
          page = await store.listConversations(t, {}, { first: 3, after: page.pageInfo.endCursor });
        }
        expect(seen).toEqual(expected);
        const oneByOne: string[] = [];
        let cursor: string | null = null;
        for (let i = 0; i < 10; i++) {
          const p = await store.listConversations(t, {}, { first: 1, after: cursor });
          oneByOne.push(...p.edges.map((e) => e.node.id));
          cursor = p.pageInfo.endCursor;
          if (!p.pageInfo.hasNextPage) break;
        }
        expect(oneByOne).toEqual(expected);

        // A new message moves its conversation to the top of the queue.
        const oldest = byName.get('bot-web')!;
        await store.appendMessage(t, oldest.id, say('anyone?'));
        expect((await store.listConversations(t, {}, { first: 1 })).edges[0]!.node.id).toBe(oldest.id);
      });

      it('filters by status, channel, assignee and unassigned, alone and together', async () => {
        const { t, byName } = await seed();
        const ids = (...names: string[]) => newestFirst(names.map((n) => byName.get(n)!));
        const list = async (filter: Parameters<ConversationStore['listConversations']>[1]) => {
          const page = await store.listConversations(t, filter, { first: 100 });
          expect(page.totalCount).toBe(page.edges.length);
          return page.edges.map((e) => e.node.id);
        };
        expect(await list({ status: ['QUEUED'] })).toEqual(ids('queued-wa', 'queued-sms', 'queued-teams-tie'));
        expect(await list({ status: ['QUEUED', 'ASSIGNED'] })).toEqual(ids('queued-wa', 'queued-sms', 'queued-teams-tie', 'assigned-a1-wa', 'assigned-a2-email'));
        expect(await list({ channel: ['WHATSAPP'] })).toEqual(ids('queued-wa', 'assigned-a1-wa'));
        expect(await list({ status: ['ASSIGNED'], channel: ['WHATSAPP', 'SLACK'] })).toEqual(ids('assigned-a1-wa'));
        expect(await list({ assigneeId: 'agent-1' })).toEqual(ids('assigned-a1-wa', 'resolved-a1-slack'));
        expect(await list({ assigneeId: 'agent-1', status: ['ASSIGNED'] })).toEqual(ids('assigned-a1-wa'));
        expect(await list({ unassigned: true })).toEqual(ids('bot-web', 'queued-wa', 'queued-sms', 'closed-voice', 'queued-teams-tie'));
        expect(await list({ unassigned: true, status: ['QUEUED'] })).toEqual(ids('queued-wa', 'queued-sms', 'queued-teams-tie'));
        expect(await list({ assigneeId: 'nobody' })).toEqual([]);
        expect(await list({ status: [], channel: [] })).toHaveLength(8);

        const paged: string[] = [];
        let page = await store.listConversations(t, { status: ['QUEUED'] }, { first: 2 });
        paged.push(...page.edges.map((e) => e.node.id));
        expect(page.pageInfo.hasNextPage).toBe(true);
        page = await store.listConversations(t, { status: ['QUEUED'] }, { first: 2, after: page.pageInfo.endCursor });
        paged.push(...page.edges.map((e) => e.node.id));
        expect(page.pageInfo.hasNextPage).toBe(false);
        expect(paged).toEqual(ids('queued-wa', 'queued-sms', 'queued-teams-tie'));
      });

      it('counts conversations by status, every status present', async () => {
        const { t, byName } = await seed();
        expect(await store.countByStatus(t)).toEqual({ BOT: 1, QUEUED: 3, ASSIGNED: 2, RESOLVED: 1, CLOSED: 1 });
        const bot = byName.get('bot-web')!;
        await store.updateConversation(t, bot.id, bot.version, { status: 'QUEUED' });
        expect(await store.countByStatus(t)).toEqual({ BOT: 0, QUEUED: 4, ASSIGNED: 2, RESOLVED: 1, CLOSED: 1 });
      });
    });

    describe('ratings', () => {
      it('keeps one rating per conversation: a second replaces the first; another tenant sees none', async () => {
        const t = tenant();
        const [a, b] = [await store.createConversation(t, conversationInput()), await store.createConversation(t, conversationInput())];
        const first = await store.transaction(t, (tx) => tx.rateConversation(a.id, { score: 2, comment: 'slow', byKind: 'apiKey', byId: null }));
        expect(first).toMatchObject({ replaced: false, rating: { conversationId: a.id, score: 2, comment: 'slow' } });
        const agent = randomUUID();
        const second = await store.transaction(t, (tx) => tx.rateConversation(a.id, { score: 5, comment: null, byKind: 'user', byId: agent }));
        expect(second.replaced).toBe(true);
        const got = await store.getRatings(t, [a.id, b.id, randomUUID(), 'not-an-id']);
        expect(got).toEqual([{ conversationId: a.id, tenantId: t, score: 5, comment: null, byKind: 'user', byId: agent, ratedAt: second.rating.ratedAt }]);
        expect(await store.getRatings(tenant(), [a.id])).toEqual([]);
      });
    });

    describe('contacts written on their own (saveContact)', () => {
      it('creates, changes only the given fields, and lets the later change win whatever order they arrive in', async () => {
        const t = tenant();
        const created = await store.transaction(t, (tx) => tx.saveContact({ name: 'Kim Park', email: 'kim@example.test', modifiedAt: minutes(0) }));
        expect(created).toMatchObject({ created: true, applied: true, contact: { name: 'Kim Park', email: 'kim@example.test', phone: null, updatedAt: minutes(0) } });
        const id = created.contact.id;
        const later = await store.transaction(t, (tx) => tx.saveContact({ id, phone: '+1 555 0100', modifiedAt: minutes(10) }));
        expect(later).toMatchObject({ created: false, applied: true, contact: { name: 'Kim Park', phone: '+1 555 0100', updatedAt: minutes(10) } });
        // An older change arriving afterwards is not applied; the stored contact is answered.
        const older = await store.transaction(t, (tx) => tx.saveContact({ id, phone: '+1 555 0199', name: null, modifiedAt: minutes(5) }));
        expect(older).toMatchObject({ applied: false, contact: { name: 'Kim Park', phone: '+1 555 0100' } });
        // Nothing differing is not a change either.
        expect((await store.transaction(t, (tx) => tx.saveContact({ id, phone: '+1 555 0100', modifiedAt: minutes(20) }))).applied).toBe(false);
        expect(await store.getContact(t, id)).toMatchObject({ name: 'Kim Park', email: 'kim@example.test', phone: '+1 555 0100', updatedAt: minutes(10) });
        // By email: the tenant's contact with it; another tenant's id is NOT_FOUND.
        const matched = await store.transaction(t, (tx) => tx.saveContact({ matchEmail: true, email: 'kim@example.test', name: 'Kim P.', modifiedAt: minutes(30) }));
        expect(matched).toMatchObject({ created: false, applied: true, contact: { id, name: 'Kim P.' } });
        const elsewhere = await store.transaction(tenant(), (tx) => tx.saveContact({ matchEmail: true, email: 'kim@example.test', name: 'Other' }));
        expect(elsewhere.created).toBe(true);
        await expect(store.transaction(tenant(), (tx) => tx.saveContact({ id, name: 'Mallory' }))).rejects.toBeInstanceOf(NotFoundError);
        expect((await store.getContact(t, id))!.name).toBe('Kim P.');
      });
    });

    describe('units of work and their domain events', () => {
      // Each store records a unit of work's events in its outbox (PostgreSQL table, MongoDB collection).
      const withEvents = options.outbox ? it : it.skip;

      withEvents('commits a unit of work’s writes and its events together, in emission order', async () => {
        const t = tenant();
        const { c, m } = await store.transaction(t, async (tx) => {
          const c = await tx.createConversation(conversationInput());
          tx.emit('conversation.started', { id: c.id });
          const { message } = await tx.appendMessage(c.id, say('first words'));
          tx.emit('message.sent', { id: message.id, conversationId: c.id });
          // Reads inside the unit of work see its own writes.
          expect(await tx.getConversation(c.id)).toMatchObject({ unreadCount: 1, lastMessageAt: message.createdAt });
          return { c, m: message };
        });
        expect(await store.getConversation(t, c.id)).toMatchObject({ id: c.id, unreadCount: 1 });
        expect(await h.events!(t)).toEqual([
          { type: 'conversation.started', data: { id: c.id } },
          { type: 'message.sent', data: { id: m.id, conversationId: c.id } },
        ]);
        // The single-write methods are units of their own that emit nothing: events are the service's.
        await store.appendMessage(t, c.id, say('no event'));
        await store.updateConversation(t, c.id, c.version, { status: 'QUEUED' });
        expect(await h.events!(t)).toHaveLength(2);
      });

      withEvents('leaves nothing when the work throws: no conversation, no contact, no message, no event', async () => {
        const t = tenant();
        let created: { id: string; contactId: string } | undefined;
        await expect(
          store.transaction(t, async (tx) => {
            const c = await tx.createConversation(conversationInput());
            created = { id: c.id, contactId: c.contact.id };
            tx.emit('conversation.started', { id: c.id });
            await tx.appendMessage(c.id, say('never stored'));
            throw new Error('the rest of the work failed');
          }),
        ).rejects.toThrow('the rest of the work failed');
        expect(await store.getConversation(t, created!.id)).toBeNull();
        expect(await store.getContact(t, created!.contactId)).toBeNull();
        expect((await store.listConversations(t)).totalCount).toBe(0);
        expect(await h.events!(t)).toEqual([]);
      });

      withEvents('one event per stored message when the service emits for created ones: retries emit none', async () => {
        const t = tenant();
        const c = await store.createConversation(t, conversationInput());
        const send = () =>
          store.transaction(t, async (tx) => {
            const r = await tx.appendMessage(c.id, say('once', { idempotencyKey: 'evt' }));
            if (r.created) tx.emit('message.sent', { id: r.message.id });
            return r;
          });
        const results = await Promise.all(Array.from({ length: 10 }, send));
        await send();
        const winner = results.find((r) => r.created)!.message;
        expect(await h.events!(t)).toEqual([{ type: 'message.sent', data: { id: winner.id } }]);
      });

      withEvents('a failed event write leaves neither the message nor moved counters; a failed message write leaves no event', async () => {
        const t = tenant();
        const c = await store.createConversation(t, conversationInput());
        await store.appendMessage(t, c.id, say('before'));
        const before = { conversation: await store.getConversation(t, c.id), events: await h.events!(t), messages: await store.listMessages(t, c.id) };
        const check = async () => {
          expect(await store.getConversation(t, c.id)).toEqual(before.conversation);
          expect(await h.events!(t)).toEqual(before.events);
          expect(await store.listMessages(t, c.id)).toEqual(before.messages);
        };
        const sendWithEvent = (text: string, key?: string) =>
          store.transaction(t, async (tx) => {
            const r = await tx.appendMessage(c.id, say(text, { idempotencyKey: key ?? null }));
            tx.emit('message.sent', { id: r.message.id });
            return r;
          });

        // The event write fails after the message and the counters were written: all roll back.
        let restore = await h.refuse!('event');
        try {
          await expect(sendWithEvent('lost', 'fail-1')).rejects.toThrow();
        } finally {
          await restore();
        }
        await check();

        // The message write fails: no event, no counters.
        restore = await h.refuse!('message');
        try {
          await expect(sendWithEvent('refuse-me')).rejects.toThrow();
        } finally {
          await restore();
        }
        await check();

        // And the key of the failed send is free: the retry stores the message once.
        const retry = await sendWithEvent('lost', 'fail-1');
        expect(retry.created).toBe(true);
        expect((await h.events!(t)).filter((e) => e.type === 'message.sent')).toHaveLength(1);
      });
    });

    describe('assignment counts under the tenant’s lock', () => {
      it('counts ASSIGNED conversations per assignee, 0 included, leaving out the one being assigned', async () => {
        const t = tenant();
        const [a, b, idle] = [randomUUID(), randomUUID(), randomUUID()];
        const mk = (status: 'ASSIGNED' | 'RESOLVED', assigneeId: string) => store.createConversation(t, conversationInput({ status, assigneeId }));
        const first = await mk('ASSIGNED', a);
        await mk('ASSIGNED', a);
        await mk('RESOLVED', a);
        await mk('ASSIGNED', b);
        await store.createConversation(tenant(), conversationInput({ status: 'ASSIGNED', assigneeId: b })); // another tenant's
        const counts = await store.transaction(t, (tx) => tx.assignedCounts([a, b, idle]));
        expect(Object.fromEntries(counts)).toEqual({ [a]: 2, [b]: 1, [idle]: 0 });
        const without = await store.transaction(t, (tx) => tx.assignedCounts([a], first.id));
        expect(without.get(a)).toBe(1);
      });

      it('never exceeds capacity when round-robin assignments race: the second sees the first’s assignment', async () => {
        const t = tenant();
        const agents = [{ id: randomUUID(), name: 'Ann' }, { id: randomUUID(), name: 'Bo' }];
        // Capacity 2, one place left: Ann holds 2, Bo holds 1.
        for (const [agent, n] of [[agents[0]!, 2], [agents[1]!, 1]] as const) {
          for (let i = 0; i < n; i++) await store.createConversation(t, conversationInput({ status: 'ASSIGNED', assigneeId: agent.id }));
        }
        const queued = await Promise.all(Array.from({ length: 4 }, () => store.createConversation(t, conversationInput({ status: 'QUEUED' }))));
        const results = await Promise.allSettled(
          queued.map((c) =>
            store.transaction(t, async (tx) => {
              const patch = await roundRobinPatch(tx, c, agents, 2);
              return tx.updateConversation(c.id, c.version, { status: 'ASSIGNED', ...patch });
            }),
          ),
        );
        const assigned = results.filter((r): r is PromiseFulfilledResult<Conversation> => r.status === 'fulfilled').map((r) => r.value);
        expect(assigned.map((c) => c.assigneeId)).toEqual([agents[1]!.id]);
        const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(refused).toHaveLength(3);
        for (const r of refused) expect(r.reason).toMatchObject({ extensions: { code: 'CONFLICT', reason: 'NO_AVAILABLE_AGENT' } });
        const counts = await store.transaction(t, (tx) => tx.assignedCounts(agents.map((a) => a.id)));
        expect([...counts.values()]).toEqual([2, 2]);
      });

      const counted = options.countStatements ? it : it.skip;
      counted('locks and counts in a constant number of statements, whatever the number of agents', async () => {
        const t = tenant();
        const c = await store.createConversation(t, conversationInput({ status: 'QUEUED' }));
        const statementsFor = async (n: number) => {
          const agents = Array.from({ length: n }, (_, i) => ({ id: randomUUID(), name: `Agent ${i}` }));
          for (const agent of agents.slice(0, 3)) await store.createConversation(t, conversationInput({ status: 'ASSIGNED', assigneeId: agent.id }));
          return options.countStatements!(() => store.transaction(t, (tx) => roundRobinPatch(tx, c, agents)));
        };
        const two = await statementsFor(2);
        const forty = await statementsFor(40);
        expect(forty).toBe(two);
        expect(two).toBeLessThanOrEqual(4); // begin, lock, count, commit
      });
    });
  });
}
