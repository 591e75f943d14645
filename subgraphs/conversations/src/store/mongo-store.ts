import { BadInputError, ConflictError, NotFoundError, type DomainEvent, type OutboxSource } from '@switchboard/kit';
import { MongoClient, type ClientSession, type Collection, type Db, type Filter } from 'mongodb';
import { randomUUID } from 'node:crypto';
import { bidirectionalPage, connection, contactChange, contactOf, conversationOf, emptyCounts, encodeCursor, forwardPage, messageOf, newMessage } from './shared';
import type {
  AppendResult,
  Attachment,
  AuthorKind,
  BidirectionalPage,
  Channel,
  Connection,
  Contact,
  Conversation,
  ConversationFilter,
  ConversationPatch,
  ConversationStatus,
  ForwardPage,
  Message,
  NewConversation,
  NewMessage,
  NewRating,
  Rating,
  OwnedConversationStore,
  SaveContact,
  SaveContactResult,
  Priority,
  UnitOfWork,
} from './types';

/** Documents: our UUIDs are the `_id`s, and every document carries its `tenantId`. */
interface ContactDoc {
  _id: string;
  tenantId: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  externalIds: Partial<Record<Channel, string>>;
  createdAt: Date;
  updatedAt: Date;
}

interface ConversationDoc {
  _id: string;
  tenantId: string;
  channel: Channel;
  contactId: string;
  status: ConversationStatus;
  assigneeId: string | null;
  tags: string[];
  priority: Priority;
  createdAt: Date;
  updatedAt: Date;
  lastMessageAt: Date;
  unreadCount: number;
  version: number;
  /** Bumped by every appendMessage: the write that makes concurrent sends to one conversation conflict. */
  writes?: number;
}

interface MessageDoc {
  _id: string;
  tenantId: string;
  conversationId: string;
  authorKind: AuthorKind;
  authorId: string | null;
  /** Who sent it when not a person (`key:<id>`, `service:<name>`); absent for a person (an index reads a missing field as null). */
  senderRef?: string;
  text: string;
  attachments: Attachment[];
  metadata: Record<string, unknown>;
  /** Absent (never null) without a key: the unique index is partial on `$exists`. */
  idempotencyKey?: string;
  createdAt: Date;
}

/** The outbox: a domain event written in the transaction of its change, `publishedAt` set by the relay. */
interface OutboxDoc {
  _id: string;
  tenantId: string;
  type: string;
  data: Record<string, unknown>;
  occurredAt: Date;
  publishedAt: Date | null;
  /** A relay's claim: another relay leaves the event alone until `claimedUntil`. */
  claimedBy?: string | null;
  claimedUntil?: Date | null;
}

/** One per tenant: written by every round-robin assignment, so two at once conflict and run one after the other. */
/** `_id` is `<tenantId>:<conversationId>`: one rating per conversation. */
interface RatingDoc {
  _id: string;
  tenantId: string;
  conversationId: string;
  score: number;
  comment: string | null;
  byKind: 'apiKey' | 'user';
  byId: string | null;
  ratedAt: Date;
}

interface LockDoc {
  _id: string;
  n: number;
}

export interface MongoStoreOptions {
  url: string;
  /** Default: the database named in the URL (the driver's own default, `test`, when it names none). */
  dbName?: string;
}

/** Connects, makes sure the indexes exist, and returns a store that closes its client. */
export async function createMongoStore(options: MongoStoreOptions): Promise<MongoConversationStore> {
  const client = new MongoClient(options.url);
  await client.connect();
  try {
    const store = new MongoConversationStore(client.db(options.dbName), client);
    await store.ensureIndexes();
    return store;
  } catch (error) {
    await client.close();
    throw error;
  }
}

const toContact = (c: ContactDoc) => contactOf({ ...c, id: c._id });
const toConversation = (c: ConversationDoc, contact: ContactDoc) => conversationOf({ ...c, id: c._id }, toContact(contact));
const toMessage = (m: MessageDoc) => messageOf({ ...m, id: m._id });

/** A unit of work on the MongoDB store: one session transaction; events go to the outbox collection in it. */
class MongoUnitOfWork implements UnitOfWork {
  constructor(
    private readonly store: MongoConversationStore,
    private readonly session: ClientSession,
    readonly tenantId: string,
    private readonly events: OutboxDoc[],
  ) {}

  createConversation(input: NewConversation) {
    return this.store.createIn(this.session, this.tenantId, input);
  }

  updateConversation(id: string, expectedVersion: number, patch: ConversationPatch) {
    return this.store.updateIn(this.session, this.tenantId, id, expectedVersion, patch);
  }

  appendMessage(conversationId: string, input: NewMessage) {
    return this.store.appendIn(this.session, this.tenantId, conversationId, input);
  }

  getConversation(id: string) {
    return this.store.getIn(this.session, this.tenantId, id);
  }

  assignedCounts(assigneeIds: readonly string[], excludeConversationId?: string) {
    return this.store.assignedCountsIn(this.session, this.tenantId, assigneeIds, excludeConversationId);
  }

  rateConversation(conversationId: string, rating: NewRating) {
    return this.store.rateIn(this.session, this.tenantId, conversationId, rating);
  }

  saveContact(input: SaveContact) {
    return this.store.saveContactIn(this.session, this.tenantId, input);
  }

  emit(type: string, data: Record<string, unknown>): void {
    this.events.push({ _id: randomUUID(), tenantId: this.tenantId, type, data, occurredAt: new Date(), publishedAt: null });
  }
}

/**
 * The MongoDB store (official driver), one collection per kind. Every write runs in a
 * multi-document transaction (a session's `withTransaction`), so it needs a replica set (a
 * one-node replica set will do):
 * - a unit of work's events go to the `outbox` collection in the same transaction, and
 *   `outboxSource()` drains it to the bus through the kit's OutboxRelay, as PostgreSQL's
 *   outbox table is;
 * - appendMessage first writes the conversation (its lock: two sends to one conversation
 *   write-conflict and the driver retries the loser's transaction, which then sees the
 *   winner's message), checks the sender's idempotency key, inserts the message and moves
 *   the counters with `$max` / `$inc`;
 * - updateConversation is one `findOneAndUpdate({ _id, tenantId, version })`.
 */
export class MongoConversationStore implements OwnedConversationStore {
  readonly contacts: Collection<ContactDoc>;
  readonly conversations: Collection<ConversationDoc>;
  readonly messages: Collection<MessageDoc>;
  readonly outbox: Collection<OutboxDoc>;
  readonly locks: Collection<LockDoc>;
  readonly ratings: Collection<RatingDoc>;
  private readonly committed = new Set<() => void>();

  constructor(
    readonly db: Db,
    private readonly client: MongoClient,
    private readonly options: { ownsClient?: boolean } = { ownsClient: true },
  ) {
    this.contacts = db.collection<ContactDoc>('contacts');
    this.conversations = db.collection<ConversationDoc>('conversations');
    this.messages = db.collection<MessageDoc>('messages');
    this.outbox = db.collection<OutboxDoc>('outbox');
    this.locks = db.collection<LockDoc>('locks');
    this.ratings = db.collection<RatingDoc>('ratings');
  }

  /** Called after every commit that wrote events (the relay's wake-up). */
  onEventsCommitted(listener: () => void): () => void {
    this.committed.add(listener);
    return () => this.committed.delete(listener);
  }

  async transaction<T>(tenantId: string, work: (tx: UnitOfWork) => Promise<T>): Promise<T> {
    const session = this.client.startSession();
    let events: OutboxDoc[] = [];
    try {
      // withTransaction runs the callback again on a transient error (a write conflict).
      const result = await session.withTransaction(async () => {
        events = [];
        const out = await work(new MongoUnitOfWork(this, session, tenantId, events));
        if (events.length) await this.outbox.insertMany(events, { session });
        return out;
      });
      if (events.length) for (const listener of this.committed) listener();
      return result as T;
    } finally {
      await session.endSession();
    }
  }

  /** The outbox collection as the kit's relay drains it: claimed for 30 s by one relay, marked after publish. */
  outboxSource(relayId = randomUUID()): OutboxSource {
    return {
      name: `mongo:${this.db.databaseName}`,
      replay: async (since, publish, limit) => {
        let total = 0;
        let after: { at: Date; id: string } | undefined;
        for (;;) {
          const filter: Filter<OutboxDoc> = after
            ? { $or: [{ publishedAt: { $gt: after.at } }, { publishedAt: after.at, _id: { $gt: after.id } }] }
            : { publishedAt: { $gte: since } };
          const docs = await this.outbox.find(filter).sort({ publishedAt: 1, _id: 1 }).limit(limit).toArray();
          if (!docs.length) return total;
          await publish(docs.map((d): DomainEvent => ({ id: d._id, type: d.type, tenantId: d.tenantId, occurredAt: d.occurredAt.toISOString(), data: d.data })));
          total += docs.length;
          const last = docs[docs.length - 1]!;
          after = { at: last.publishedAt!, id: last._id };
          if (docs.length < limit) return total;
        }
      },
      relayBatch: async (publish, limit) => {
        const now = new Date();
        const free: Filter<OutboxDoc> = { publishedAt: null, $or: [{ claimedUntil: null }, { claimedUntil: { $exists: false } }, { claimedUntil: { $lt: now } }] };
        const candidates = await this.outbox.find(free, { projection: { _id: 1 } }).sort({ occurredAt: 1, _id: 1 }).limit(limit).toArray();
        if (!candidates.length) return 0;
        const ids = candidates.map((c) => c._id);
        await this.outbox.updateMany({ ...free, _id: { $in: ids } }, { $set: { claimedBy: relayId, claimedUntil: new Date(now.getTime() + 30_000) } });
        const claimed = await this.outbox.find({ _id: { $in: ids }, claimedBy: relayId, publishedAt: null }).sort({ occurredAt: 1, _id: 1 }).toArray();
        if (!claimed.length) return 0;
        await publish(claimed.map((d): DomainEvent => ({ id: d._id, type: d.type, tenantId: d.tenantId, occurredAt: d.occurredAt.toISOString(), data: d.data })));
        await this.outbox.updateMany({ _id: { $in: claimed.map((d) => d._id) } }, { $set: { publishedAt: new Date(), claimedUntil: null } });
        return claimed.length;
      },
    };
  }

  /** @internal the unit of work's rateConversation: one upsert by `<tenant>:<conversation>`. */
  async rateIn(session: ClientSession, tenantId: string, conversationId: string, input: NewRating): Promise<{ rating: Rating; replaced: boolean }> {
    const ratedAt = new Date();
    const before = await this.ratings.findOneAndReplace(
      { _id: `${tenantId}:${conversationId}` },
      { tenantId, conversationId, ...input, ratedAt },
      { upsert: true, session, returnDocument: 'before' },
    );
    return { rating: { conversationId, tenantId, ...input, ratedAt }, replaced: !!before };
  }

  /** @internal the unit of work's saveContact: the update is conditional on the updatedAt read, so a concurrent writer makes the transaction retry. */
  async saveContactIn(session: ClientSession, tenantId: string, input: SaveContact): Promise<SaveContactResult> {
    const now = new Date();
    let stored: ContactDoc | null = null;
    if (input.id !== undefined) {
      stored = await this.contacts.findOne({ _id: input.id, tenantId }, { session });
      if (!stored) throw new NotFoundError('Contact', input.id);
    } else if (input.matchEmail && input.email) {
      stored = await this.contacts.findOne({ tenantId, email: input.email }, { session, sort: { createdAt: 1, _id: 1 } });
    }
    if (!stored) {
      const at = input.modifiedAt ?? now;
      const doc: ContactDoc = { _id: randomUUID(), tenantId, name: input.name ?? null, email: input.email ?? null, phone: input.phone ?? null, externalIds: {}, createdAt: now, updatedAt: at };
      await this.contacts.insertOne(doc, { session });
      return { contact: toContact(doc), created: true, applied: true };
    }
    const change = contactChange(stored, input, now);
    if (!change) return { contact: toContact(stored), created: false, applied: false };
    const { matchedCount } = await this.contacts.updateOne({ _id: stored._id, tenantId, updatedAt: stored.updatedAt }, { $set: change }, { session });
    if (!matchedCount) throw new ConflictError('The contact was changed by someone else at the same time; retry');
    return { contact: toContact({ ...stored, ...change }), created: false, applied: true };
  }

  async getRatings(tenantId: string, conversationIds: readonly string[]): Promise<Rating[]> {
    if (!conversationIds.length) return [];
    const docs = await this.ratings.find({ _id: { $in: conversationIds.map((id) => `${tenantId}:${id}`) }, tenantId }).toArray();
    return docs.map(({ _id, ...d }) => ({ ...d }));
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([
      this.conversations.createIndexes([
        { key: { tenantId: 1, lastMessageAt: -1, _id: -1 }, name: 'tenant_last_message' },
        { key: { tenantId: 1, status: 1 }, name: 'tenant_status' },
        { key: { tenantId: 1, assigneeId: 1, lastMessageAt: -1 }, name: 'tenant_assignee' },
      ]),
      this.messages.createIndexes([
        { key: { tenantId: 1, conversationId: 1, createdAt: 1, _id: 1 }, name: 'tenant_conversation_created' },
        {
          // A key is the sender's own, within one conversation: a person (authorId), an API key or a service (senderRef).
          key: { tenantId: 1, conversationId: 1, authorKind: 1, authorId: 1, senderRef: 1, idempotencyKey: 1 },
          name: 'tenant_conversation_sender_ref_idempotency_key',
          unique: true,
          partialFilterExpression: { idempotencyKey: { $exists: true } },
        },
      ]),
      this.contacts.createIndexes([{ key: { tenantId: 1, createdAt: 1, _id: 1 }, name: 'tenant_created' }]),
      this.outbox.createIndexes([{ key: { publishedAt: 1, occurredAt: 1, _id: 1 }, name: 'relay_order' }]),
      // Created up front: a transaction's first write to it must not also create it (MongoDB < 4.4).
      ...['locks', 'ratings'].map((name) =>
        this.db.createCollection(name).catch((error: { code?: number }) => {
          if (error.code !== 48) throw error; // NamespaceExists
        }),
      ),
    ]);
    // The key indexes of earlier versions made one sender's key block another's: per tenant,
    // then per author (every API key of a tenant shared the null author id).
    for (const old of ['tenant_idempotency_key', 'tenant_conversation_sender_idempotency_key']) {
      if (await this.messages.indexExists(old)) await this.messages.dropIndex(old);
    }
  }

  async close(): Promise<void> {
    if (this.options.ownsClient) await this.client.close();
  }

  private async withContacts(tenantId: string, rows: ConversationDoc[], session?: ClientSession): Promise<Conversation[]> {
    if (!rows.length) return [];
    const ids = [...new Set(rows.map((r) => r.contactId))];
    const contacts = new Map((await this.contacts.find({ tenantId, _id: { $in: ids } }, { session }).toArray()).map((c) => [c._id, c]));
    return rows.map((r) => {
      const contact = contacts.get(r.contactId);
      if (!contact) throw new Error(`Conversation ${r._id} has no contact ${r.contactId}`);
      return toConversation(r, contact);
    });
  }

  createConversation(tenantId: string, input: NewConversation): Promise<Conversation> {
    return this.transaction(tenantId, (tx) => tx.createConversation(input));
  }

  /** @internal the unit of work's createConversation */
  async createIn(session: ClientSession, tenantId: string, input: NewConversation): Promise<Conversation> {
    if (input.contactId !== undefined && input.contact !== undefined) throw new BadInputError('contact', 'Pass contactId or contact, not both');
    const now = input.createdAt ?? new Date();
    let contact: ContactDoc | null;
    if (input.contactId !== undefined) {
      contact = await this.contacts.findOne({ _id: input.contactId, tenantId }, { session });
      if (!contact) throw new NotFoundError('Contact', input.contactId);
    } else {
      const c = input.contact ?? {};
      contact = {
        _id: randomUUID(),
        tenantId,
        name: c.name ?? null,
        email: c.email ?? null,
        phone: c.phone ?? null,
        externalIds: { ...(c.externalIds ?? {}) },
        createdAt: now,
        updatedAt: now,
      };
      await this.contacts.insertOne(contact, { session });
    }
    const conversation: ConversationDoc = {
      _id: randomUUID(),
      tenantId,
      channel: input.channel,
      contactId: contact._id,
      status: input.status ?? 'BOT',
      assigneeId: input.assigneeId ?? null,
      tags: [...(input.tags ?? [])],
      priority: input.priority ?? 'NORMAL',
      createdAt: now,
      updatedAt: now,
      lastMessageAt: now,
      unreadCount: 0,
      version: 1,
    };
    await this.conversations.insertOne(conversation, { session });
    return toConversation(conversation, contact);
  }

  async getConversation(tenantId: string, id: string): Promise<Conversation | null> {
    const [found] = await this.getConversations(tenantId, [id]);
    return found ?? null;
  }

  async getConversations(tenantId: string, ids: readonly string[]): Promise<Conversation[]> {
    const valid = [...new Set(ids.filter((id) => typeof id === 'string'))];
    if (!valid.length) return [];
    return this.withContacts(tenantId, await this.conversations.find({ tenantId, _id: { $in: valid } }).toArray());
  }

  async listConversations(tenantId: string, filter: ConversationFilter = {}, page?: ForwardPage): Promise<Connection<Conversation>> {
    const { limit, after } = forwardPage(page, 'c');
    const where: Filter<ConversationDoc> = { tenantId };
    if (filter.status?.length) where.status = { $in: filter.status };
    if (filter.channel?.length) where.channel = { $in: filter.channel };
    if (filter.unassigned) where.assigneeId = null;
    else if (filter.assigneeId) where.assigneeId = filter.assigneeId;
    const range: Filter<ConversationDoc> = after ? { $or: [{ lastMessageAt: { $lt: after.at } }, { lastMessageAt: after.at, _id: { $lt: after.id } }] } : {};
    const [rows, totalCount] = await Promise.all([
      this.conversations
        .find({ $and: [where, range] })
        .sort({ lastMessageAt: -1, _id: -1 })
        .limit(limit + 1)
        .toArray(),
      this.conversations.countDocuments(where),
    ]);
    const conversations = await this.withContacts(tenantId, rows);
    return connection(conversations, { direction: 'forward', limit, after, before: null }, totalCount, (c) => encodeCursor('c', c.lastMessageAt, c.id));
  }

  updateConversation(tenantId: string, id: string, expectedVersion: number, patch: ConversationPatch): Promise<Conversation> {
    return this.transaction(tenantId, (tx) => tx.updateConversation(id, expectedVersion, patch));
  }

  /** @internal the unit of work's updateConversation */
  async updateIn(session: ClientSession, tenantId: string, id: string, expectedVersion: number, patch: ConversationPatch): Promise<Conversation> {
    const $set: Partial<ConversationDoc> = { updatedAt: new Date() };
    if (patch.status !== undefined) $set.status = patch.status;
    if (patch.assigneeId !== undefined) $set.assigneeId = patch.assigneeId;
    if (patch.tags !== undefined) $set.tags = [...patch.tags];
    if (patch.priority !== undefined) $set.priority = patch.priority;
    // One atomic compare-and-set: of two writers with the same expectedVersion, one matches.
    const updated = await this.conversations.findOneAndUpdate(
      { _id: id, tenantId, version: expectedVersion },
      { $set, $inc: { version: 1 } },
      { returnDocument: 'after', session },
    );
    if (!updated) {
      const current = await this.conversations.findOne({ _id: id, tenantId }, { projection: { version: 1 }, session });
      if (!current) throw new NotFoundError('Conversation', id);
      throw new ConflictError(`Conversation ${id} changed since version ${expectedVersion}; it is at version ${current.version}`, { currentVersion: current.version });
    }
    const [conversation] = await this.withContacts(tenantId, [updated], session);
    return conversation!;
  }

  appendMessage(tenantId: string, conversationId: string, input: NewMessage): Promise<AppendResult> {
    return this.transaction(tenantId, (tx) => tx.appendMessage(conversationId, input));
  }

  /** @internal the unit of work's appendMessage */
  async appendIn(session: ClientSession, tenantId: string, conversationId: string, input: NewMessage): Promise<AppendResult> {
    const key = input.idempotencyKey ?? null;
    const authorId = input.authorId ?? null;
    const senderRef = input.senderRef ?? null;
    // Writing the conversation first is its lock for the rest of the transaction.
    const conversation = await this.conversations.findOneAndUpdate(
      { _id: conversationId, tenantId },
      { $inc: { writes: 1 } },
      { projection: { lastMessageAt: 1 }, returnDocument: 'after', session },
    );
    if (!conversation) throw new NotFoundError('Conversation', conversationId);
    if (key !== null) {
      // A person's message is stored without a sender ref.
      const sender = senderRef !== null ? { senderRef } : { senderRef: { $exists: false } };
      const existing = await this.messages.findOne({ tenantId, conversationId, authorKind: input.authorKind, authorId, ...sender, idempotencyKey: key }, { session });
      if (existing) return { message: toMessage(existing), created: false };
    }
    const { id, idempotencyKey, senderRef: ref, ...fields } = newMessage(tenantId, conversationId, input, conversation.lastMessageAt);
    const createdAt = fields.createdAt;
    // The unique partial index covers documents that have a key: none is stored without one.
    const doc: MessageDoc = { _id: id, ...fields, ...(ref !== null ? { senderRef: ref } : {}), ...(idempotencyKey !== null ? { idempotencyKey } : {}) };
    await this.messages.insertOne(doc, { session });
    await this.conversations.updateOne(
      { _id: conversationId, tenantId },
      { $max: { lastMessageAt: createdAt }, $inc: { unreadCount: input.authorKind === 'CUSTOMER' ? 1 : 0 } },
      { session },
    );
    return { message: toMessage(doc), created: true };
  }

  /** @internal the unit of work's getConversation */
  async getIn(session: ClientSession, tenantId: string, id: string): Promise<Conversation | null> {
    const doc = await this.conversations.findOne({ _id: id, tenantId }, { session });
    if (!doc) return null;
    const [conversation] = await this.withContacts(tenantId, [doc], session);
    return conversation ?? null;
  }

  /** @internal the unit of work's assignedCounts: the tenant's lock document, then one aggregation. */
  async assignedCountsIn(session: ClientSession, tenantId: string, assigneeIds: readonly string[], excludeConversationId?: string): Promise<Map<string, number>> {
    await this.locks.updateOne({ _id: `assignment:${tenantId}` }, { $inc: { n: 1 } }, { upsert: true, session });
    const counts = new Map(assigneeIds.map((id) => [id, 0]));
    if (!assigneeIds.length) return counts;
    const match: Filter<ConversationDoc> = { tenantId, status: 'ASSIGNED', assigneeId: { $in: [...assigneeIds] } };
    if (excludeConversationId) match._id = { $ne: excludeConversationId };
    const rows = await this.conversations.aggregate<{ _id: string; n: number }>([{ $match: match }, { $group: { _id: '$assigneeId', n: { $sum: 1 } } }], { session }).toArray();
    for (const r of rows) counts.set(r._id, r.n);
    return counts;
  }

  async getMessages(tenantId: string, ids: readonly string[]): Promise<Message[]> {
    const valid = [...new Set(ids.filter((id) => typeof id === 'string'))];
    if (!valid.length) return [];
    return (await this.messages.find({ tenantId, _id: { $in: valid } }).toArray()).map(toMessage);
  }

  async listMessages(tenantId: string, conversationId: string, page?: BidirectionalPage): Promise<Connection<Message>> {
    const window = bidirectionalPage(page, 'm');
    const where: Filter<MessageDoc> = { tenantId, conversationId };
    const ranges: Filter<MessageDoc>[] = [];
    if (window.after) ranges.push({ $or: [{ createdAt: { $gt: window.after.at } }, { createdAt: window.after.at, _id: { $gt: window.after.id } }] });
    if (window.before) ranges.push({ $or: [{ createdAt: { $lt: window.before.at } }, { createdAt: window.before.at, _id: { $lt: window.before.id } }] });
    const order = window.direction === 'forward' ? 1 : -1;
    const [rows, totalCount] = await Promise.all([
      this.messages
        .find({ $and: [where, ...ranges] })
        .sort({ createdAt: order, _id: order })
        .limit(window.limit + 1)
        .toArray(),
      this.messages.countDocuments(where),
    ]);
    return connection(rows.map(toMessage), window, totalCount, (m) => encodeCursor('m', m.createdAt, m.id));
  }

  /** One listMessages per conversation (a `$setWindowFields` pipeline would make it one round trip). */
  async firstPages(tenantId: string, conversationIds: readonly string[], page: { first?: number | null; last?: number | null }): Promise<Map<string, Connection<Message>>> {
    const pages = await Promise.all(conversationIds.map(async (id) => [id, await this.listMessages(tenantId, id, page)] as const));
    return new Map(pages);
  }

  async markRead(tenantId: string, conversationId: string): Promise<Conversation> {
    const updated = await this.conversations.findOneAndUpdate({ _id: conversationId, tenantId }, { $set: { unreadCount: 0 } }, { returnDocument: 'after' });
    if (!updated) throw new NotFoundError('Conversation', conversationId);
    const [conversation] = await this.withContacts(tenantId, [updated]);
    return conversation!;
  }

  async getContact(tenantId: string, id: string): Promise<Contact | null> {
    const contact = await this.contacts.findOne({ _id: id, tenantId });
    return contact ? toContact(contact) : null;
  }

  async countByStatus(tenantId: string): Promise<Record<ConversationStatus, number>> {
    const rows = await this.conversations
      .aggregate<{ _id: ConversationStatus; n: number }>([{ $match: { tenantId } }, { $group: { _id: '$status', n: { $sum: 1 } } }])
      .toArray();
    const counts = emptyCounts();
    for (const r of rows) if (r._id in counts) counts[r._id] = r.n;
    return counts;
  }
}
