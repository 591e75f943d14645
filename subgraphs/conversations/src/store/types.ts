/**
 * The storage contract of the conversations subgraph. Resolvers and services call this
 * interface only; a PostgreSQL (MikroORM) and a MongoDB implementation sit behind it, and
 * one contract suite (test/store-contract.ts) holds both to the same behaviour.
 *
 * What a store guarantees: every operation is scoped to the tenant it is given (another
 * tenant's ids behave exactly like ids that do not exist), appendMessage is idempotent per
 * (conversation, sender, idempotencyKey) through a unique index, messages list in append
 * order, the counters of a conversation move together with its messages, and a unit of work
 * (`transaction`) commits its writes and the domain events it emits together or not at all.
 * What it does not do: decide which events a change means, check sizes, roles or workflow
 * transitions — that is the service layer's job.
 */

export const CHANNELS = ['WEB', 'WHATSAPP', 'MESSENGER', 'SLACK', 'TEAMS', 'EMAIL', 'SMS', 'VOICE'] as const;
export type Channel = (typeof CHANNELS)[number];

export const CONVERSATION_STATUSES = ['BOT', 'QUEUED', 'ASSIGNED', 'RESOLVED', 'CLOSED'] as const;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];

export const PRIORITIES = ['LOW', 'NORMAL', 'HIGH', 'URGENT'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const AUTHOR_KINDS = ['CUSTOMER', 'AGENT', 'BOT', 'SYSTEM'] as const;
export type AuthorKind = (typeof AUTHOR_KINDS)[number];

export interface Contact {
  id: string;
  tenantId: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  /** The contact's id on each channel it has written from (WhatsApp number, Slack user id, …). */
  externalIds: Partial<Record<Channel, string>>;
  createdAt: Date;
  /** When its name, email or phone last changed (what CRM sync compares, last writer wins). */
  updatedAt: Date;
}

export interface Conversation {
  id: string;
  tenantId: string;
  channel: Channel;
  contact: Contact;
  status: ConversationStatus;
  assigneeId: string | null;
  tags: string[];
  priority: Priority;
  createdAt: Date;
  /** Changes with updateConversation only; appending messages or markRead leave it alone. */
  updatedAt: Date;
  /** The createdAt of the newest message, or the conversation's createdAt before the first one. */
  lastMessageAt: Date;
  /** Customer messages since the last markRead. */
  unreadCount: number;
  /** 1 at creation, +1 on every updateConversation. */
  version: number;
}

export interface Attachment {
  name: string;
  url: string;
  mimeType: string;
  size: number;
}

export interface Message {
  id: string;
  tenantId: string;
  conversationId: string;
  authorKind: AuthorKind;
  authorId: string | null;
  /** Who sent it when not a person: `key:<api key id>` (a partner's integration, a bot key) or `service:<name>` (a connector, the assistant); null for a person. */
  senderRef: string | null;
  text: string;
  attachments: Attachment[];
  metadata: Record<string, unknown>;
  idempotencyKey: string | null;
  createdAt: Date;
}

export interface ContactInput {
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  externalIds?: Partial<Record<Channel, string>>;
}

/**
 * A contact written on its own (an edit, a CRM import). Fields left undefined stay as they
 * are; null clears. The change happened at `modifiedAt` (default now): it is applied only
 * when the stored contact was last changed before that, so of two writers the later change
 * wins whatever order they arrive in (last-modified time, as CRM sync resolves conflicts).
 */
export interface SaveContact {
  /** The contact to change; without it a new one is created (or, with `matchEmail`, the tenant's contact with that email is changed). */
  id?: string;
  matchEmail?: boolean;
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  modifiedAt?: Date;
}

export interface SaveContactResult {
  contact: Contact;
  created: boolean;
  /** false when the stored contact had changed later than `modifiedAt` (nothing written), or nothing differed. */
  applied: boolean;
}

export interface NewConversation {
  channel: Channel;
  /** An existing contact of the same tenant (NotFoundError otherwise)… */
  contactId?: string;
  /** …or a new one, created with the conversation. Exactly one of the two. */
  contact?: ContactInput;
  /** Default BOT. */
  status?: ConversationStatus;
  assigneeId?: string | null;
  tags?: string[];
  /** Default NORMAL. */
  priority?: Priority;
  /** Default now; demo data and imports pass their own. Also the initial lastMessageAt. */
  createdAt?: Date;
}

export interface ConversationPatch {
  status?: ConversationStatus;
  assigneeId?: string | null;
  tags?: string[];
  priority?: Priority;
}

export interface NewMessage {
  authorKind: AuthorKind;
  authorId?: string | null;
  /** Who sends it when not a person (`key:<id>`, `service:<name>`): such messages have no author id. */
  senderRef?: string | null;
  text: string;
  attachments?: Attachment[];
  metadata?: Record<string, unknown>;
  /**
   * Client-supplied: a retry with the same key from the same sender (authorKind + authorId +
   * senderRef) in the same conversation returns the stored message. Another sender's key —
   * another person's, another API key's or service's — or the same key in another conversation, never
   * touches it.
   */
  idempotencyKey?: string | null;
  /** Default now. Never before the conversation's lastMessageAt (see appendMessage). */
  createdAt?: Date;
}

export interface ConversationFilter {
  status?: ConversationStatus[] | null;
  channel?: Channel[] | null;
  assigneeId?: string | null;
  /** Only conversations with no assignee; wins over assigneeId. */
  unassigned?: boolean | null;
}

export interface ForwardPage {
  /** 1–100, default 20. */
  first?: number | null;
  after?: string | null;
}

export interface BidirectionalPage extends ForwardPage {
  last?: number | null;
  before?: string | null;
}

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
  /** Items in the whole (filtered) list, across pages. */
  totalCount: number;
}

/** A customer satisfaction rating: one per conversation, a second one replaces the first. */
export interface Rating {
  conversationId: string;
  tenantId: string;
  /** 1–5. */
  score: number;
  comment: string | null;
  /** Who rated: the customer's channel API key, or an agent. */
  byKind: 'apiKey' | 'user';
  byId: string | null;
  ratedAt: Date;
}

export interface NewRating {
  score: number;
  comment: string | null;
  byKind: 'apiKey' | 'user';
  byId: string | null;
}

export interface AppendResult {
  message: Message;
  /** false when the idempotency key was seen before: `message` is the stored one and nothing changed. */
  created: boolean;
}

/**
 * The writes of one unit of work, bound to one tenant, and the domain events they mean.
 * Everything done through it commits together — the events into the store's outbox, which a
 * relay moves to the bus after commit — or, when the work throws, not at all. Inside, use
 * only the unit of work (no other store call, no other database connection).
 */
export interface UnitOfWork {
  readonly tenantId: string;
  createConversation(input: NewConversation): Promise<Conversation>;
  updateConversation(id: string, expectedVersion: number, patch: ConversationPatch): Promise<Conversation>;
  appendMessage(conversationId: string, input: NewMessage): Promise<AppendResult>;
  getConversation(id: string): Promise<Conversation | null>;
  /**
   * ASSIGNED conversations per assignee (0 included), `excludeConversationId` not counted, in
   * one statement, after taking the tenant's assignment lock: two units of work of one tenant
   * that call this run one after the other, so capacity checks made on these counts hold.
   */
  assignedCounts(assigneeIds: readonly string[], excludeConversationId?: string): Promise<Map<string, number>>;
  /** Stores the conversation's rating, replacing an earlier one (`replaced`). The conversation must exist (the caller checked). */
  rateConversation(conversationId: string, rating: NewRating): Promise<{ rating: Rating; replaced: boolean }>;
  /** Creates or changes a contact (SaveContact). NotFoundError for an `id` that is not the tenant's. */
  saveContact(input: SaveContact): Promise<SaveContactResult>;
  /** Records a domain event `{ id, type, tenantId, occurredAt, data }`: published only if the unit of work commits. */
  emit(type: string, data: Record<string, unknown>): void;
}

export interface ConversationStore {
  /**
   * Runs `work` as one unit of work: its writes and the events it emits commit together or
   * not at all (ConflictError when a version moved under it). The single-write methods below
   * are each a unit of work of their own that emits nothing.
   */
  transaction<T>(tenantId: string, work: (tx: UnitOfWork) => Promise<T>): Promise<T>;

  /** Creates the conversation (and its contact when `contact` is given). */
  createConversation(tenantId: string, input: NewConversation): Promise<Conversation>;

  getConversation(tenantId: string, id: string): Promise<Conversation | null>;

  /** Batch read for DataLoaders: the conversations that exist in the tenant, in no particular order. */
  getConversations(tenantId: string, ids: readonly string[]): Promise<Conversation[]>;

  /** The tenant's queue: newest lastMessageAt first (ties by id), keyset cursors. */
  listConversations(tenantId: string, filter?: ConversationFilter, page?: ForwardPage): Promise<Connection<Conversation>>;

  /**
   * Applies `patch` when the conversation is still at `expectedVersion` and bumps the
   * version. ConflictError (extensions.currentVersion) when the version moved, also when a
   * concurrent writer won the race; NotFoundError when it does not exist in the tenant.
   */
  updateConversation(tenantId: string, id: string, expectedVersion: number, patch: ConversationPatch): Promise<Conversation>;

  /**
   * Stores a message, moves the conversation's lastMessageAt to its createdAt and, for a
   * CUSTOMER message, adds one to unreadCount — all or nothing. A createdAt is never before
   * the conversation's lastMessageAt, so the list order is the append order. With an
   * idempotencyKey this sender already used in this conversation: the stored message with
   * created=false and nothing written. NotFoundError when the conversation does not exist in
   * the tenant.
   */
  appendMessage(tenantId: string, conversationId: string, input: NewMessage): Promise<AppendResult>;

  /** Batch read for DataLoaders: the messages that exist in the tenant, in no particular order. */
  getMessages(tenantId: string, ids: readonly string[]): Promise<Message[]>;

  /**
   * Oldest → newest. `first`/`after` pages forward, `last`/`before` backward (Relay); with
   * neither `first` nor `last`, the newest 20. A conversation that does not exist in the
   * tenant has no messages (an empty connection).
   */
  listMessages(tenantId: string, conversationId: string, page?: BidirectionalPage): Promise<Connection<Message>>;

  /**
   * The first or last page of messages of several conversations at once (no cursors): what a
   * queue showing each conversation's latest messages needs, in one round trip where the
   * store can. Conversations that are not the tenant's get an empty page.
   */
  firstPages(tenantId: string, conversationIds: readonly string[], page: { first?: number | null; last?: number | null }): Promise<Map<string, Connection<Message>>>;

  /** unreadCount → 0. NotFoundError when the conversation does not exist in the tenant. */
  markRead(tenantId: string, conversationId: string): Promise<Conversation>;

  getContact(tenantId: string, id: string): Promise<Contact | null>;

  /** Batch read for DataLoaders: the ratings of those of the conversations that were rated, in no particular order. */
  getRatings(tenantId: string, conversationIds: readonly string[]): Promise<Rating[]>;

  /** Every status, 0 included. */
  countByStatus(tenantId: string): Promise<Record<ConversationStatus, number>>;
}

/** A store that owns its connections (what the factories return). */
export interface OwnedConversationStore extends ConversationStore {
  close(): Promise<void>;
}
