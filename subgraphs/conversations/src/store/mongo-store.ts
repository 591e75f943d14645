import { BadInputError, ConflictError, NotFoundError } from '@switchboard/kit';
import { MongoClient, MongoServerError, type Collection, type Db, type Filter } from 'mongodb';
import { randomUUID } from 'node:crypto';
import { bidirectionalPage, connection, contactOf, conversationOf, emptyCounts, encodeCursor, forwardPage, messageOf, nextMessageAt, uuidv7 } from './shared';
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
  OwnedConversationStore,
  Priority,
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
}

interface MessageDoc {
  _id: string;
  tenantId: string;
  conversationId: string;
  authorKind: AuthorKind;
  authorId: string | null;
  text: string;
  attachments: Attachment[];
  metadata: Record<string, unknown>;
  /** Absent (never null) without a key: the unique index is partial on `$exists`. */
  idempotencyKey?: string;
  createdAt: Date;
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

function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === 11000;
}




/**
 * The MongoDB store (official driver), one collection per kind. It runs without
 * multi-document transactions, so it works on a standalone server:
 * - appendMessage inserts the message first — the unique (tenantId, idempotencyKey) index
 *   decides which of several concurrent retries stores it; the losers read the winner's —
 *   and then moves the conversation's counters with `$max` / `$inc`. A crash between the two
 *   leaves a stored message whose conversation counters lag; a retry returns the message.
 * - updateConversation is one `findOneAndUpdate({ _id, tenantId, version })`.
 * TODO(issue 5, events): domain events (`conversation.started`, `message.sent`, …) are not
 * written yet; they need an outbox collection written in a transaction (replica set) or a
 * change stream, and a relay like the kit's OutboxRelay.
 */
export class MongoConversationStore implements OwnedConversationStore {
  readonly contacts: Collection<ContactDoc>;
  readonly conversations: Collection<ConversationDoc>;
  readonly messages: Collection<MessageDoc>;

  constructor(
    readonly db: Db,
    private readonly client?: MongoClient,
  ) {
    this.contacts = db.collection<ContactDoc>('contacts');
    this.conversations = db.collection<ConversationDoc>('conversations');
    this.messages = db.collection<MessageDoc>('messages');
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
          key: { tenantId: 1, idempotencyKey: 1 },
          name: 'tenant_idempotency_key',
          unique: true,
          partialFilterExpression: { idempotencyKey: { $exists: true } },
        },
      ]),
      this.contacts.createIndexes([{ key: { tenantId: 1, createdAt: 1, _id: 1 }, name: 'tenant_created' }]),
    ]);
  }

  async close(): Promise<void> {
    await this.client?.close();
  }

  private async withContacts(tenantId: string, rows: ConversationDoc[]): Promise<Conversation[]> {
    if (!rows.length) return [];
    const ids = [...new Set(rows.map((r) => r.contactId))];
    const contacts = new Map((await this.contacts.find({ tenantId, _id: { $in: ids } }).toArray()).map((c) => [c._id, c]));
    return rows.map((r) => {
      const contact = contacts.get(r.contactId);
      if (!contact) throw new Error(`Conversation ${r._id} has no contact ${r.contactId}`);
      return toConversation(r, contact);
    });
  }

  async createConversation(tenantId: string, input: NewConversation): Promise<Conversation> {
    if (input.contactId !== undefined && input.contact !== undefined) throw new BadInputError('contact', 'Pass contactId or contact, not both');
    const now = input.createdAt ?? new Date();
    let contact: ContactDoc | null;
    if (input.contactId !== undefined) {
      contact = await this.contacts.findOne({ _id: input.contactId, tenantId });
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
      await this.contacts.insertOne(contact);
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
    await this.conversations.insertOne(conversation);
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

  async updateConversation(tenantId: string, id: string, expectedVersion: number, patch: ConversationPatch): Promise<Conversation> {
    const $set: Partial<ConversationDoc> = { updatedAt: new Date() };
    if (patch.status !== undefined) $set.status = patch.status;
    if (patch.assigneeId !== undefined) $set.assigneeId = patch.assigneeId;
    if (patch.tags !== undefined) $set.tags = [...patch.tags];
    if (patch.priority !== undefined) $set.priority = patch.priority;
    // One atomic compare-and-set: of two writers with the same expectedVersion, one matches.
    const updated = await this.conversations.findOneAndUpdate(
      { _id: id, tenantId, version: expectedVersion },
      { $set, $inc: { version: 1 } },
      { returnDocument: 'after' },
    );
    if (!updated) {
      const current = await this.conversations.findOne({ _id: id, tenantId }, { projection: { version: 1 } });
      if (!current) throw new NotFoundError('Conversation', id);
      throw new ConflictError(`Conversation ${id} changed since version ${expectedVersion}; it is at version ${current.version}`, { currentVersion: current.version });
    }
    const [conversation] = await this.withContacts(tenantId, [updated]);
    return conversation!;
  }

  async appendMessage(tenantId: string, conversationId: string, input: NewMessage): Promise<AppendResult> {
    const key = input.idempotencyKey ?? null;
    if (key !== null) {
      const existing = await this.messages.findOne({ tenantId, idempotencyKey: key });
      if (existing) return this.replay(existing, conversationId);
    }
    const conversation = await this.conversations.findOne({ _id: conversationId, tenantId }, { projection: { lastMessageAt: 1 } });
    if (!conversation) throw new NotFoundError('Conversation', conversationId);
    const createdAt = nextMessageAt(input.createdAt ?? new Date(), conversation.lastMessageAt);
    const doc: MessageDoc = {
      _id: uuidv7(),
      tenantId,
      conversationId,
      authorKind: input.authorKind,
      authorId: input.authorId ?? null,
      text: input.text,
      attachments: (input.attachments ?? []).map((a) => ({ name: a.name, url: a.url, mimeType: a.mimeType, size: a.size })),
      metadata: { ...(input.metadata ?? {}) },
      createdAt,
      ...(key !== null ? { idempotencyKey: key } : {}),
    };
    try {
      await this.messages.insertOne(doc);
    } catch (error) {
      if (key === null || !isDuplicateKey(error)) throw error;
      const existing = await this.messages.findOne({ tenantId, idempotencyKey: key });
      if (!existing) throw error;
      return this.replay(existing, conversationId);
    }
    await this.conversations.updateOne(
      { _id: conversationId, tenantId },
      { $max: { lastMessageAt: createdAt }, $inc: { unreadCount: input.authorKind === 'CUSTOMER' ? 1 : 0 } },
    );
    return { message: toMessage(doc), created: true };
  }

  private replay(existing: MessageDoc, conversationId: string): AppendResult {
    if (existing.conversationId !== conversationId) {
      throw new ConflictError('This idempotency key was already used for a message in another conversation', { field: 'idempotencyKey' });
    }
    return { message: toMessage(existing), created: false };
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
