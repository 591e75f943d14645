import { BadInputError } from '@switchboard/kit';
import { randomBytes } from 'node:crypto';
import { CONVERSATION_STATUSES, type BidirectionalPage, type Connection, type Contact, type Conversation, type ConversationStatus, type ForwardPage, type Message, type NewMessage, type SaveContact } from './types';

/** What both stores share: ids, cursors, page arguments. */

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

let lastMs = 0;
let counter = 0;

/**
 * A UUIDv7: 48 bits of milliseconds, then a 12-bit counter that keeps ids made in this
 * process within one millisecond in creation order, then random bits. Message ids break
 * ties between equal createdAt values, so same-millisecond messages still list in the
 * order they were made; hex ids compare the same as text and as Postgres `uuid`.
 */
export function uuidv7(now = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = randomBytes(2).readUInt16BE(0) & 0x3ff; // leave room to count up
  } else {
    counter++;
    if (counter > 0xfff) {
      lastMs++;
      counter = 0;
    }
  }
  const ms = lastMs;
  const bytes = randomBytes(16);
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Which list a cursor belongs to: a conversation cursor is refused by the message list and vice versa. */
export type CursorKind = 'c' | 'm';

export interface Position {
  at: Date;
  id: string;
}

export function encodeCursor(kind: CursorKind, at: Date, id: string): string {
  return Buffer.from(JSON.stringify([kind, at.toISOString(), id])).toString('base64url');
}

export function decodeCursor(kind: CursorKind, cursor: string, field: string): Position {
  try {
    const [k, at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown, unknown];
    const date = new Date(typeof at === 'string' ? at : Number.NaN);
    if (k !== kind || typeof id !== 'string' || Number.isNaN(date.getTime())) throw new Error('bad cursor');
    return { at: date, id };
  } catch {
    throw new BadInputError(field, `${field} is not a cursor from this list`);
  }
}

function size(value: number | null | undefined, field: string): number | null {
  if (value === undefined || value === null) return null;
  if (!Number.isInteger(value) || value < 1 || value > MAX_PAGE_SIZE) {
    throw new BadInputError(field, `${field} must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  return value;
}

export function forwardPage(page: ForwardPage | undefined, kind: CursorKind): { limit: number; after: Position | null } {
  return {
    limit: size(page?.first, 'first') ?? DEFAULT_PAGE_SIZE,
    after: page?.after ? decodeCursor(kind, page.after, 'after') : null,
  };
}

export interface Window {
  /** forward: the first `limit` after `after`; backward: the last `limit` before `before`. */
  direction: 'forward' | 'backward';
  limit: number;
  after: Position | null;
  before: Position | null;
}

export function bidirectionalPage(page: BidirectionalPage | undefined, kind: CursorKind): Window {
  const first = size(page?.first, 'first');
  const last = size(page?.last, 'last');
  if (first !== null && last !== null) throw new BadInputError('last', 'Pass first or last, not both');
  return {
    direction: first === null ? 'backward' : 'forward',
    limit: first ?? last ?? DEFAULT_PAGE_SIZE,
    after: page?.after ? decodeCursor(kind, page.after, 'after') : null,
    before: page?.before ? decodeCursor(kind, page.before, 'before') : null,
  };
}

/**
 * Builds a connection from the rows a store fetched: `rows` holds up to limit + 1 items in
 * the direction of travel (forward: ascending order for messages / the list order for
 * conversations; backward: descending). A cursor we were given proves there is an item on
 * that side, which is how the opposite flag is set without another query.
 */
export function connection<T>(
  rows: T[],
  window: Pick<Window, 'direction' | 'limit' | 'after' | 'before'>,
  totalCount: number,
  cursorOf: (node: T) => string,
): Connection<T> {
  const more = rows.length > window.limit;
  const nodes = rows.slice(0, window.limit);
  if (window.direction === 'backward') nodes.reverse();
  const edges = nodes.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    totalCount,
    pageInfo: {
      hasNextPage: window.direction === 'forward' ? more : window.before !== null,
      hasPreviousPage: window.direction === 'backward' ? more : window.after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

export function emptyCounts(): Record<ConversationStatus, number> {
  return Object.fromEntries(CONVERSATION_STATUSES.map((s) => [s, 0])) as Record<ConversationStatus, number>;
}

/** A createdAt for the next message of a conversation: never before the conversation's newest one. */
export function nextMessageAt(requested: Date, lastMessageAt: Date): Date {
  return requested.getTime() > lastMessageAt.getTime() ? requested : new Date(lastMessageAt.getTime() + 1);
}

/** A stored contact (row or document, with its id as `id`) as the domain type: copies, never the stored object. */
export function contactOf(c: Contact): Contact {
  return { id: c.id, tenantId: c.tenantId, name: c.name, email: c.email, phone: c.phone, externalIds: { ...c.externalIds }, createdAt: c.createdAt, updatedAt: c.updatedAt };
}

export function conversationOf(c: Omit<Conversation, 'contact'>, contact: Contact): Conversation {
  return {
    id: c.id,
    tenantId: c.tenantId,
    channel: c.channel,
    contact: contactOf(contact),
    status: c.status,
    assigneeId: c.assigneeId,
    tags: [...c.tags],
    priority: c.priority,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    lastMessageAt: c.lastMessageAt,
    unreadCount: c.unreadCount,
    version: c.version,
  };
}

export function messageOf(m: Omit<Message, 'idempotencyKey' | 'senderRef'> & { idempotencyKey?: string | null; senderRef?: string | null }): Message {
  return {
    id: m.id,
    tenantId: m.tenantId,
    conversationId: m.conversationId,
    authorKind: m.authorKind,
    authorId: m.authorId,
    senderRef: m.senderRef ?? null,
    text: m.text,
    attachments: m.attachments.map((a) => ({ ...a })),
    metadata: { ...m.metadata },
    idempotencyKey: m.idempotencyKey ?? null,
    createdAt: m.createdAt,
  };
}

/**
 * The message a store appends, as both stores build it: a new time-ordered id, the sender's
 * key (null when none), attachments and metadata copied, and `createdAt` never before the
 * conversation's last message (`nextMessageAt`).
 */
export function newMessage(tenantId: string, conversationId: string, input: NewMessage, lastMessageAt: Date): Message {
  return {
    id: uuidv7(),
    tenantId,
    conversationId,
    authorKind: input.authorKind,
    authorId: input.authorId ?? null,
    senderRef: input.senderRef ?? null,
    text: input.text,
    attachments: (input.attachments ?? []).map((a) => ({ name: a.name, url: a.url, mimeType: a.mimeType, size: a.size })),
    metadata: { ...(input.metadata ?? {}) },
    idempotencyKey: input.idempotencyKey ?? null,
    createdAt: nextMessageAt(input.createdAt ?? new Date(), lastMessageAt),
  };
}

/**
 * What a SaveContact changes on a stored contact (both stores): null when the stored one
 * changed at or after `modifiedAt` (the later change wins, whichever arrives last) or when no
 * field differs. Undefined fields stay; the new updatedAt is the change's own time.
 */
export function contactChange(stored: Pick<Contact, 'name' | 'email' | 'phone' | 'updatedAt'>, input: SaveContact, now: Date): { name: string | null; email: string | null; phone: string | null; updatedAt: Date } | null {
  const at = input.modifiedAt ?? now;
  if (stored.updatedAt.getTime() >= at.getTime()) return null;
  const next = {
    name: input.name !== undefined ? input.name : stored.name,
    email: input.email !== undefined ? input.email : stored.email,
    phone: input.phone !== undefined ? input.phone : stored.phone,
  };
  if (next.name === stored.name && next.email === stored.email && next.phone === stored.phone) return null;
  return { ...next, updatedAt: at };
}
