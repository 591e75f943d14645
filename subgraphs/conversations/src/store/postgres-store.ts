import { LockMode, OptimisticLockError, raw, type FilterQuery, type QueryResult } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import { BadInputError, ConflictError, NotFoundError, TENANT_FILTER, createOrm, emitEvent, kitFeatures, type EntityManager, type Metrics } from '@switchboard/kit';
import { migrations } from '../migrations';
import { ContactEntity, ConversationEntity, MessageEntity, conversationEntities } from './postgres/entities';
import { bidirectionalPage, connection, contactChange, contactOf, conversationOf, emptyCounts, encodeCursor, forwardPage, isUuid, messageOf, newMessage } from './shared';
import type {
  AppendResult,
  BidirectionalPage,
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
  UnitOfWork,
} from './types';

export { conversationEntities } from './postgres/entities';
export { migrations } from '../migrations';

export interface PostgresStoreOptions {
  databaseUrl: string;
  /** Tests give each file its own schema prefix. */
  schemaPrefix?: string;
  poolMax?: number;
  metrics?: Metrics;
}

/**
 * The PostgreSQL store on its own ORM (the subgraph's schema `conversations`, migrations run
 * at start). An app that needs more entities in the same ORM creates it with
 * `conversationEntities` and `migrations` and passes it to `new PostgresConversationStore`.
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<PostgresConversationStore> {
  const orm = await createOrm({
    subgraph: 'conversations',
    databaseUrl: options.databaseUrl,
    ...(options.schemaPrefix ? { schemaPrefix: options.schemaPrefix } : {}),
    ...(options.poolMax ? { poolMax: options.poolMax } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    entities: conversationEntities,
    migrations,
    features: kitFeatures,
  });
  return new PostgresConversationStore(orm, { ownsOrm: true });
}

const toContact = contactOf;
const toConversation = conversationOf;
const toMessage = (m: MessageEntity) => messageOf(m);

/** A unit of work on the PostgreSQL store: one MikroORM transaction; events go to the outbox table in it. */
class PostgresUnitOfWork implements UnitOfWork {
  constructor(
    private readonly store: PostgresConversationStore,
    private readonly em: EntityManager,
    readonly tenantId: string,
  ) {}

  createConversation(input: NewConversation) {
    return this.store.createIn(this.em, this.tenantId, input);
  }

  updateConversation(id: string, expectedVersion: number, patch: ConversationPatch) {
    return this.store.updateIn(this.em, this.tenantId, id, expectedVersion, patch);
  }

  appendMessage(conversationId: string, input: NewMessage) {
    return this.store.appendIn(this.em, this.tenantId, conversationId, input);
  }

  getConversation(id: string) {
    return this.store.getIn(this.em, this.tenantId, id);
  }

  assignedCounts(assigneeIds: readonly string[], excludeConversationId?: string) {
    return this.store.assignedCountsIn(this.em, this.tenantId, assigneeIds, excludeConversationId);
  }

  rateConversation(conversationId: string, rating: NewRating) {
    return this.store.rateIn(this.em, this.tenantId, conversationId, rating);
  }

  saveContact(input: SaveContact) {
    return this.store.saveContactIn(this.em, this.tenantId, input);
  }

  emit(type: string, data: Record<string, unknown>): void {
    emitEvent(this.em, type, this.tenantId, data);
  }
}

/**
 * Writes that describe a change (create, update) go through the unit of work, so the audit
 * log records them in the same transaction. Message inserts and the conversation's counters
 * are plain SQL inside the same transaction: the insert needs `on conflict do nothing` for
 * idempotency, and the counters are bookkeeping (no version bump, no audit row per message).
 */
export class PostgresConversationStore implements OwnedConversationStore {
  constructor(
    readonly orm: MikroORM,
    private readonly options: { ownsOrm?: boolean } = {},
  ) {}

  async close(): Promise<void> {
    if (this.options.ownsOrm) await this.orm.close(true);
  }

  /** A fresh EntityManager bound to the tenant: the filter is a second lock behind the `tenantId` in every where. */
  private em(tenantId: string): EntityManager {
    const em = this.orm.em.fork({ clear: true, useContext: false });
    em.setFilterParams(TENANT_FILTER, { tenantId });
    return em;
  }

  private get schema(): string {
    return this.orm.config.get('schema') as string;
  }

  private async withContacts(em: EntityManager, tenantId: string, rows: ConversationEntity[]): Promise<Conversation[]> {
    if (!rows.length) return [];
    const ids = [...new Set(rows.map((r) => r.contactId))];
    const contacts = new Map((await em.find(ContactEntity, { tenantId, id: { $in: ids } })).map((c) => [c.id, c]));
    return rows.map((r) => {
      const contact = contacts.get(r.contactId);
      if (!contact) throw new Error(`Conversation ${r.id} has no contact ${r.contactId}`);
      return toConversation(r, contact);
    });
  }

  async transaction<T>(tenantId: string, work: (tx: UnitOfWork) => Promise<T>): Promise<T> {
    try {
      // The transaction flushes the unit of work (outbox rows included) before it commits;
      // the kit's relay is woken by the commit.
      return await this.em(tenantId).transactional((em) => work(new PostgresUnitOfWork(this, em, tenantId)));
    } catch (error) {
      if (error instanceof OptimisticLockError) {
        throw new ConflictError('The conversation was changed by someone else at the same time; reload and retry');
      }
      throw error;
    }
  }

  createConversation(tenantId: string, input: NewConversation): Promise<Conversation> {
    return this.transaction(tenantId, (tx) => tx.createConversation(input));
  }

  /** @internal the unit of work's createConversation */
  async createIn(em: EntityManager, tenantId: string, input: NewConversation): Promise<Conversation> {
    if (input.contactId !== undefined && input.contact !== undefined) throw new BadInputError('contact', 'Pass contactId or contact, not both');
    const now = input.createdAt ?? new Date();
    let contact: ContactEntity | null;
    if (input.contactId !== undefined) {
      contact = isUuid(input.contactId) ? await em.findOne(ContactEntity, { id: input.contactId, tenantId }) : null;
      if (!contact) throw new NotFoundError('Contact', input.contactId);
    } else {
      const c = input.contact ?? {};
      contact = em.create(ContactEntity, {
        tenantId,
        name: c.name ?? null,
        email: c.email ?? null,
        phone: c.phone ?? null,
        externalIds: { ...(c.externalIds ?? {}) },
        createdAt: now,
        updatedAt: now,
      });
    }
    const conversation = em.create(ConversationEntity, {
      tenantId,
      channel: input.channel,
      contactId: contact.id,
      status: input.status ?? 'BOT',
      assigneeId: input.assigneeId ?? null,
      tags: [...(input.tags ?? [])],
      priority: input.priority ?? 'NORMAL',
      createdAt: now,
      updatedAt: now,
      lastMessageAt: now,
    });
    await em.flush();
    return toConversation(conversation, contact);
  }

  async getConversation(tenantId: string, id: string): Promise<Conversation | null> {
    const [found] = await this.getConversations(tenantId, [id]);
    return found ?? null;
  }

  async getConversations(tenantId: string, ids: readonly string[]): Promise<Conversation[]> {
    const valid = [...new Set(ids.filter(isUuid))];
    if (!valid.length) return [];
    const em = this.em(tenantId);
    return this.withContacts(em, tenantId, await em.find(ConversationEntity, { tenantId, id: { $in: valid } }));
  }

  async listConversations(tenantId: string, filter: ConversationFilter = {}, page?: ForwardPage): Promise<Connection<Conversation>> {
    const { limit, after } = forwardPage(page, 'c');
    const where: Record<string, unknown> = { tenantId };
    if (filter.status?.length) where.status = { $in: filter.status };
    if (filter.channel?.length) where.channel = { $in: filter.channel };
    if (filter.unassigned) where.assigneeId = null;
    else if (filter.assigneeId) where.assigneeId = filter.assigneeId;
    const range = after ? { $or: [{ lastMessageAt: { $lt: after.at } }, { lastMessageAt: after.at, id: { $lt: after.id } }] } : {};
    const em = this.em(tenantId);
    const [rows, totalCount] = await Promise.all([
      em.find(ConversationEntity, { $and: [where, range] } as FilterQuery<ConversationEntity>, { orderBy: { lastMessageAt: 'desc', id: 'desc' }, limit: limit + 1 }),
      em.count(ConversationEntity, where as FilterQuery<ConversationEntity>),
    ]);
    const conversations = await this.withContacts(em, tenantId, rows);
    return connection(conversations, { direction: 'forward', limit, after, before: null }, totalCount, (c) => encodeCursor('c', c.lastMessageAt, c.id));
  }

  updateConversation(tenantId: string, id: string, expectedVersion: number, patch: ConversationPatch): Promise<Conversation> {
    return this.transaction(tenantId, (tx) => tx.updateConversation(id, expectedVersion, patch));
  }

  /** @internal the unit of work's updateConversation */
  async updateIn(em: EntityManager, tenantId: string, id: string, expectedVersion: number, patch: ConversationPatch): Promise<Conversation> {
    if (!isUuid(id)) throw new NotFoundError('Conversation', id);
    const now = new Date();
    const conversation = await em.findOne(ConversationEntity, { id, tenantId });
    if (!conversation) throw new NotFoundError('Conversation', id);
    if (conversation.version !== expectedVersion) {
      throw new ConflictError(`Conversation ${id} changed since version ${expectedVersion}; it is at version ${conversation.version}`, {
        currentVersion: conversation.version,
      });
    }
    if (patch.status !== undefined) conversation.status = patch.status;
    if (patch.assigneeId !== undefined) conversation.assigneeId = patch.assigneeId;
    if (patch.tags !== undefined) conversation.tags = [...patch.tags];
    if (patch.priority !== undefined) conversation.priority = patch.priority;
    // Every successful update bumps the version (as the Mongo store's compare-and-set does),
    // and MikroORM's version column makes the writer that lost a race fail its
    // `update … where version = ?`.
    conversation.updatedAt = new Date(Math.max(now.getTime(), conversation.updatedAt.getTime() + 1));
    await em.flush();
    const contact = await em.findOneOrFail(ContactEntity, { id: conversation.contactId, tenantId });
    return toConversation(conversation, contact);
  }

  appendMessage(tenantId: string, conversationId: string, input: NewMessage): Promise<AppendResult> {
    return this.transaction(tenantId, (tx) => tx.appendMessage(conversationId, input));
  }

  /** @internal the unit of work's appendMessage */
  async appendIn(em: EntityManager, tenantId: string, conversationId: string, input: NewMessage): Promise<AppendResult> {
    if (!isUuid(conversationId)) throw new NotFoundError('Conversation', conversationId);
    const key = input.idempotencyKey ?? null;
    const authorId = input.authorId ?? null;
    const senderRef = input.senderRef ?? null;
    const s = this.schema;
    // The row lock serializes sends to one conversation: createdAt values follow commit
    // order, and a retry waiting here sees the first send's message once it gets the lock
    // (keys are scoped to the conversation, so the lock covers every contender).
    const conversation = await em.findOne(ConversationEntity, { id: conversationId, tenantId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
    if (!conversation) throw new NotFoundError('Conversation', conversationId);
    if (key !== null) {
      const existing = await em.findOne(MessageEntity, { tenantId, conversationId, authorKind: input.authorKind, authorId, senderRef, idempotencyKey: key });
      if (existing) return { message: toMessage(existing), created: false };
    }
    const message = newMessage(tenantId, conversationId, input, conversation.lastMessageAt);
    const createdAt = message.createdAt;
    const connection = em.getConnection();
    const ctx = em.getTransactionContext();
    const inserted = await connection.execute<{ id: string }[]>(
      `insert into "${s}"."message" ("id", "tenant_id", "conversation_id", "author_kind", "author_id", "sender_ref", "text", "attachments", "metadata", "idempotency_key", "created_at")
       values (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?::timestamptz)
       on conflict ("tenant_id", "conversation_id", "author_kind", "author_id", "sender_ref", "idempotency_key") where "idempotency_key" is not null do nothing
       returning "id"`,
      [message.id, tenantId, conversationId, message.authorKind, message.authorId, message.senderRef, message.text, JSON.stringify(message.attachments), JSON.stringify(message.metadata), key, createdAt.toISOString()],
      'all',
      ctx,
    );
    // Unreachable while the row lock is held; kept so a future change cannot store a duplicate silently.
    if (!inserted.length) throw new ConflictError('A send with the same idempotency key is in progress; retry', { field: 'idempotencyKey' });
    await connection.execute(
      `update "${s}"."conversation" set "last_message_at" = ?::timestamptz, "unread_count" = "unread_count" + ? where "id" = ? and "tenant_id" = ?`,
      [createdAt.toISOString(), message.authorKind === 'CUSTOMER' ? 1 : 0, conversationId, tenantId],
      'run',
      ctx,
    );
    return { message, created: true };
  }

  /** @internal the unit of work's rateConversation: one upsert; `replaced` from whether the row existed. */
  async rateIn(em: EntityManager, tenantId: string, conversationId: string, input: NewRating): Promise<{ rating: Rating; replaced: boolean }> {
    const s = this.schema;
    const ratedAt = new Date();
    const rows = (await em.getConnection().execute(
      `insert into "${s}"."conversation_rating" as r ("tenant_id", "conversation_id", "score", "comment", "by_kind", "by_id", "rated_at")
       values (?, ?, ?, ?, ?, ?, ?::timestamptz)
       on conflict ("tenant_id", "conversation_id") do update set "score" = excluded."score", "comment" = excluded."comment",
         "by_kind" = excluded."by_kind", "by_id" = excluded."by_id", "rated_at" = excluded."rated_at"
       returning (xmax <> 0) as "replaced"`,
      [tenantId, conversationId, input.score, input.comment, input.byKind, input.byId, ratedAt.toISOString()],
      'all',
      em.getTransactionContext(),
    )) as { replaced: boolean }[];
    return { rating: { conversationId, tenantId, ...input, ratedAt }, replaced: !!rows[0]?.replaced };
  }

  async getRatings(tenantId: string, conversationIds: readonly string[]): Promise<Rating[]> {
    const ids = conversationIds.filter(isUuid);
    if (!ids.length) return [];
    const rows = (await this.orm.em.getConnection().execute(
      `select "conversation_id", "score", "comment", "by_kind", "by_id", "rated_at" from "${this.schema}"."conversation_rating" where "tenant_id" = ? and "conversation_id" in (${ids.map(() => '?').join(', ')})`,
      [tenantId, ...ids],
      'all',
    )) as any[];
    return rows.map((r) => ({ conversationId: r.conversation_id, tenantId, score: Number(r.score), comment: r.comment, byKind: r.by_kind, byId: r.by_id, ratedAt: new Date(r.rated_at) }));
  }

  /** @internal the unit of work's assignedCounts */
  async assignedCountsIn(em: EntityManager, tenantId: string, assigneeIds: readonly string[], excludeConversationId?: string): Promise<Map<string, number>> {
    const connection = em.getConnection();
    const ctx = em.getTransactionContext();
    // The tenant's assignment lock, held until commit: a second round-robin waits here, and
    // its count (a later statement, so a later snapshot) sees the first one's assignment.
    await connection.execute(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [`conversations.assignment:${tenantId}`], 'all', ctx);
    const counts = new Map(assigneeIds.map((id) => [id, 0]));
    if (!assigneeIds.length) return counts;
    const rows = await connection.execute<{ assignee_id: string; n: string | number }[]>(
      `select "assignee_id", count(*) as "n" from "${this.schema}"."conversation"
       where "tenant_id" = ? and "status" = 'ASSIGNED' and "assignee_id" in (${assigneeIds.map(() => '?').join(', ')})${excludeConversationId && isUuid(excludeConversationId) ? ` and "id" <> ?` : ''}
       group by "assignee_id"`,
      [tenantId, ...assigneeIds, ...(excludeConversationId && isUuid(excludeConversationId) ? [excludeConversationId] : [])],
      'all',
      ctx,
    );
    for (const r of rows) counts.set(r.assignee_id, Number(r.n));
    return counts;
  }

  /** @internal the unit of work's getConversation */
  async getIn(em: EntityManager, tenantId: string, id: string): Promise<Conversation | null> {
    if (!isUuid(id)) return null;
    const rows = await em.find(ConversationEntity, { tenantId, id }, { refresh: true });
    const [found] = await this.withContacts(em, tenantId, rows);
    return found ?? null;
  }

  async getMessages(tenantId: string, ids: readonly string[]): Promise<Message[]> {
    const valid = [...new Set(ids.filter(isUuid))];
    if (!valid.length) return [];
    return (await this.em(tenantId).find(MessageEntity, { tenantId, id: { $in: valid } })).map(toMessage);
  }

  async listMessages(tenantId: string, conversationId: string, page?: BidirectionalPage): Promise<Connection<Message>> {
    const window = bidirectionalPage(page, 'm');
    if (!isUuid(conversationId)) return connection([], window, 0, () => '');
    const where = { tenantId, conversationId };
    const ranges: FilterQuery<MessageEntity>[] = [];
    if (window.after) ranges.push({ $or: [{ createdAt: { $gt: window.after.at } }, { createdAt: window.after.at, id: { $gt: window.after.id } }] });
    if (window.before) ranges.push({ $or: [{ createdAt: { $lt: window.before.at } }, { createdAt: window.before.at, id: { $lt: window.before.id } }] });
    const order = window.direction === 'forward' ? 'asc' : 'desc';
    const em = this.em(tenantId);
    const [rows, totalCount] = await Promise.all([
      em.find(MessageEntity, { $and: [where, ...ranges] }, { orderBy: { createdAt: order, id: order }, limit: window.limit + 1 }),
      em.count(MessageEntity, where),
    ]);
    return connection(rows.map(toMessage), window, totalCount, (m) => encodeCursor('m', m.createdAt, m.id));
  }

  async firstPages(tenantId: string, conversationIds: readonly string[], page: { first?: number | null; last?: number | null }): Promise<Map<string, Connection<Message>>> {
    const window = bidirectionalPage(page, 'm');
    const ids = [...new Set(conversationIds.filter(isUuid))];
    const out = new Map<string, Connection<Message>>(conversationIds.map((id) => [id, connection([], window, 0, () => '')]));
    if (!ids.length) return out;
    const order = window.direction === 'forward' ? 'asc' : 'desc';
    // One statement: each conversation's first limit + 1 messages in the direction of travel, and its total.
    const em = this.em(tenantId);
    const rows = await em.getConnection().execute<Record<string, unknown>[]>(
      `select * from (
         select m.*, row_number() over (partition by m."conversation_id" order by m."created_at" ${order}, m."id" ${order}) as "rn",
                count(*) over (partition by m."conversation_id") as "total"
         from "${this.schema}"."message" m
         where m."tenant_id" = ? and m."conversation_id" in (${ids.map(() => '?').join(', ')})
       ) x where x."rn" <= ? order by x."conversation_id", x."rn"`,
      [tenantId, ...ids, window.limit + 1],
    );
    const byConversation = new Map<string, { messages: Message[]; total: number }>();
    for (const row of rows) {
      const { rn: _rn, total, ...columns } = row;
      const message = toMessage(em.map(MessageEntity, columns));
      const entry = byConversation.get(message.conversationId) ?? { messages: [], total: Number(total) };
      entry.messages.push(message);
      byConversation.set(message.conversationId, entry);
    }
    for (const [id, { messages, total }] of byConversation) {
      out.set(id, connection(messages, window, total, (m) => encodeCursor('m', m.createdAt, m.id)));
    }
    return out;
  }

  async markRead(tenantId: string, conversationId: string): Promise<Conversation> {
    if (!isUuid(conversationId)) throw new NotFoundError('Conversation', conversationId);
    // Plain SQL: MikroORM's nativeUpdate would bump the version column, and reading must not
    // invalidate an agent's expectedVersion.
    const { affectedRows } = await this.orm.em
      .fork()
      .getConnection()
      .execute<QueryResult>(`update "${this.schema}"."conversation" set "unread_count" = 0 where "id" = ? and "tenant_id" = ?`, [conversationId, tenantId], 'run');
    if (!affectedRows) throw new NotFoundError('Conversation', conversationId);
    const conversation = await this.getConversation(tenantId, conversationId);
    if (!conversation) throw new NotFoundError('Conversation', conversationId);
    return conversation;
  }

  /** @internal the unit of work's saveContact: the row is locked, so two writers of one contact go one after the other. */
  async saveContactIn(em: EntityManager, tenantId: string, input: SaveContact): Promise<SaveContactResult> {
    const now = new Date();
    let stored: ContactEntity | null = null;
    if (input.id !== undefined) {
      stored = isUuid(input.id) ? await em.findOne(ContactEntity, { id: input.id, tenantId }, { lockMode: LockMode.PESSIMISTIC_WRITE }) : null;
      if (!stored) throw new NotFoundError('Contact', input.id);
    } else if (input.matchEmail && input.email) {
      stored = await em.findOne(ContactEntity, { tenantId, email: input.email }, { orderBy: { createdAt: 'asc', id: 'asc' }, lockMode: LockMode.PESSIMISTIC_WRITE });
    }
    if (!stored) {
      const at = input.modifiedAt ?? now;
      const created = em.create(ContactEntity, { tenantId, name: input.name ?? null, email: input.email ?? null, phone: input.phone ?? null, externalIds: {}, createdAt: now, updatedAt: at });
      await em.flush();
      return { contact: toContact(created), created: true, applied: true };
    }
    const change = contactChange(stored, input, now);
    if (!change) return { contact: toContact(stored), created: false, applied: false };
    // Plain SQL: the entity's onUpdate would stamp now instead of the change's own time.
    await em.getConnection().execute(
      `update "${this.schema}"."contact" set "name" = ?, "email" = ?, "phone" = ?, "updated_at" = ? where "id" = ? and "tenant_id" = ?`,
      [change.name, change.email, change.phone, change.updatedAt, stored.id, tenantId],
      'run',
      em.getTransactionContext(),
    );
    return { contact: toContact({ ...toContact(stored), ...change }), created: false, applied: true };
  }

  async getContact(tenantId: string, id: string): Promise<Contact | null> {
    if (!isUuid(id)) return null;
    const contact = await this.em(tenantId).findOne(ContactEntity, { id, tenantId });
    return contact ? toContact(contact) : null;
  }

  async countByStatus(tenantId: string): Promise<Record<ConversationStatus, number>> {
    const rows = await this.em(tenantId)
      .createQueryBuilder(ConversationEntity)
      .select(['status', raw('count(*) as n')])
      .where({ tenantId })
      .groupBy('status')
      .execute<{ status: ConversationStatus; n: string | number }[]>('all');
    const counts = emptyCounts();
    for (const r of rows) if (r.status in counts) counts[r.status] = Number(r.n);
    return counts;
  }
}
