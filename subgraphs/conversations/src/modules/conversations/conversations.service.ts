import {
  ALL_ROLES,
  BadInputError,
  ConflictError,
  INPUT_LIMITS,
  InvalidTransitionError,
  NotFoundError,
  WORKER_ROLES,
  authorize,
  category,
  checkAssignment,
  httpUrl,
  isUuid,
  metadata,
  mimeType,
  noNul,
  optionalEmail,
  optionalText,
  tags as normalizeTags,
  text as checkText,
  type Caller,
} from '@switchboard/kit';
import type { ConversationsContext } from '../../context';
import DataLoader from 'dataloader';
import type { AuthorKind, Channel, Conversation, ConversationStatus, Priority, Rating, SaveContactResult, UnitOfWork } from '../../store/types';
import { Agent } from '../agents/agent.entity';
import { emitMessageSent, emitStarted, emitUpdated } from './conversation-events';
import { roundRobinPatch } from './round-robin';
import type { ConversationFilterInput, SaveContactInput, SendMessageInput, StartConversationInput } from './graphql-types';
import { CONVERSATION_TRANSITIONS, canMove } from './workflow';

export const READ = { roles: ALL_ROLES, scope: 'conversations:read' };
const WORK = { roles: WORKER_ROLES, scope: 'conversations:write' };
export { AGENT_CAPACITY } from './round-robin';

export async function findConversation(ctx: ConversationsContext, id: string): Promise<Conversation> {
  authorize(ctx.identity, READ);
  const conversation = isUuid(id) ? await ctx.conversations.load(id) : null;
  if (!conversation) throw new NotFoundError('Conversation', id);
  return conversation;
}

export async function listConversations(ctx: ConversationsContext, filter: ConversationFilterInput | null | undefined, page: { first?: number | null; after?: string | null }) {
  const caller = authorize(ctx.identity, READ);
  if (filter?.assigneeId && !isUuid(filter.assigneeId)) throw new BadInputError('filter.assigneeId', 'filter.assigneeId is not an id');
  return ctx.store.listConversations(
    caller.tenantId,
    { status: filter?.status as ConversationStatus[] | null, channel: filter?.channel as Channel[] | null, assigneeId: filter?.assigneeId, unassigned: filter?.unassigned },
    page,
  );
}

const text = (value: string, field: string, max: number): string => checkText(value, field, max);

/** Contact fields (docs/api.md lists the limits). */
export const CONTACT_LIMITS = { name: INPUT_LIMITS.name, phone: 50, externalId: 200 } as const;

export async function startConversation(ctx: ConversationsContext, input: StartConversationInput): Promise<Conversation> {
  const caller = authorize(ctx.identity, WORK);
  const first = input.text != null ? text(input.text, 'text', ctx.config.MAX_MESSAGE_CHARS) : null;
  const c = input.contact;
  const contact = {
    name: optionalText(c.name, 'contact.name', CONTACT_LIMITS.name),
    email: optionalEmail(c.email, 'contact.email'),
    phone: optionalText(c.phone, 'contact.phone', CONTACT_LIMITS.phone),
    externalId: optionalText(c.externalId, 'contact.externalId', CONTACT_LIMITS.externalId),
  };
  if (!contact.name && !contact.email && !contact.phone && !contact.externalId) {
    throw new BadInputError('contact', 'contact needs at least a name, email, phone or externalId');
  }
  const tags = normalizeTags(input.tags);
  // One unit of work: the conversation, its first message and their events, or nothing.
  const started = await ctx.store.transaction(caller.tenantId, async (tx) => {
    const conversation = await tx.createConversation({
      channel: input.channel as Channel,
      contact: {
        name: contact.name,
        email: contact.email,
        phone: contact.phone,
        externalIds: contact.externalId ? { [input.channel]: contact.externalId } : {},
      },
      priority: (input.priority as Priority | null) ?? 'NORMAL',
      tags,
    });
    emitStarted(tx, conversation);
    const sent = first ? await tx.appendMessage(conversation.id, { authorKind: 'CUSTOMER', senderRef: senderRefOf(caller), text: first }) : null;
    if (sent) emitMessageSent(tx, sent.message);
    return { conversation: sent ? ((await tx.getConversation(conversation.id)) ?? conversation) : conversation, messageId: sent?.message.id };
  });
  await announce(ctx, started.conversation.id, { queue: true, messageId: started.messageId });
  return started.conversation;
}

/**
 * Who sent a message when it was not a person (a person's user id is its author id): the API
 * key (`key:<id>`) or the service (`service:<name>`: an integration's connector, the
 * assistant). Each is a sender of its own, so its idempotency keys are its own.
 */
function senderRefOf(caller: Caller): string | null {
  if (caller.kind === 'user') return null;
  if (caller.apiKeyId) return `key:${caller.apiKeyId}`;
  return caller.service ? `service:${caller.service}` : null;
}

/** Who sends: a person as AGENT (their user id), an API key or a service as CUSTOMER or BOT (its sender ref). */
function authorOf(caller: Caller, requested: string | null | undefined): { authorKind: AuthorKind; authorId: string | null; senderRef: string | null } {
  if (caller.kind === 'user') {
    if (requested && requested !== 'AGENT') throw new BadInputError('as', 'people send as AGENT; only API keys send as CUSTOMER or BOT');
    return { authorKind: 'AGENT', authorId: caller.userId ?? null, senderRef: null };
  }
  const kind = (requested ?? 'CUSTOMER') as AuthorKind;
  if (kind !== 'CUSTOMER' && kind !== 'BOT') throw new BadInputError('as', 'an API key sends as CUSTOMER or BOT');
  return { authorKind: kind, authorId: null, senderRef: senderRefOf(caller) };
}

export async function sendMessage(ctx: ConversationsContext, input: SendMessageInput) {
  const caller = authorize(ctx.identity, WORK);
  const author = authorOf(caller, input.as);
  const body = text(input.text, 'text', ctx.config.MAX_MESSAGE_CHARS);
  const attachments = input.attachments ?? [];
  if (attachments.length > ctx.config.MAX_ATTACHMENTS) throw new BadInputError('attachments', `at most ${ctx.config.MAX_ATTACHMENTS} attachments`);
  const files = attachments.map((a) => {
    if (!Number.isInteger(a.size) || a.size < 0 || a.size > ctx.config.MAX_ATTACHMENT_BYTES) {
      throw new BadInputError('attachments', `an attachment may be at most ${ctx.config.MAX_ATTACHMENT_BYTES} bytes`);
    }
    return {
      name: checkText(a.name, 'attachments.name', INPUT_LIMITS.fileName),
      url: httpUrl(a.url, 'attachments.url'),
      mimeType: mimeType(a.mimeType, 'attachments.mimeType'),
      size: a.size,
    };
  });
  const meta = metadata(input.metadata, 'metadata');
  if (input.idempotencyKey != null && (input.idempotencyKey.length < 1 || input.idempotencyKey.length > 200)) {
    throw new BadInputError('idempotencyKey', 'idempotencyKey must be 1-200 characters');
  }
  if (input.idempotencyKey != null) noNul(input.idempotencyKey, 'idempotencyKey');
  const conversation = await findConversation(ctx, input.conversationId);
  if (conversation.status === 'CLOSED') throw new InvalidTransitionError('The conversation is closed; start a new one', 'CLOSED', []);
  const result = await ctx.store.transaction(caller.tenantId, async (tx) => {
    const appended = await tx.appendMessage(conversation.id, {
      ...author,
      text: body,
      attachments: files,
      metadata: meta,
      idempotencyKey: input.idempotencyKey ?? null,
    });
    if (appended.created) emitMessageSent(tx, appended.message);
    return appended;
  });
  if (result.created) await announce(ctx, conversation.id, { messageId: result.message.id });
  return result;
}

/** Moves a conversation, refusing moves the workflow does not allow (INVALID_TRANSITION, with what is allowed). */
async function move(
  ctx: ConversationsContext,
  id: string,
  to: ConversationStatus,
  options: {
    /** The patch, or how to work it out inside the unit of work (round-robin). */
    patch?: { assigneeId?: string | null } | ((tx: UnitOfWork) => Promise<{ assigneeId?: string | null }>);
    expectedVersion?: number | null;
    from?: ConversationStatus;
    /** More of the same unit of work after the update (a system message); answers the id of a message it added. */
    also?: (tx: UnitOfWork) => Promise<string | undefined>;
  } = {},
) {
  const caller = authorize(ctx.identity, WORK);
  const current = await findConversation(ctx, id);
  const stays = current.status === to && to === 'ASSIGNED'; // a reassignment
  if ((options.from && current.status !== options.from) || (!stays && !canMove(current.status, to))) {
    throw new InvalidTransitionError(`A ${current.status} conversation cannot become ${to}`, current.status, CONVERSATION_TRANSITIONS[current.status]);
  }
  const { updated, messageId } = await ctx.store.transaction(caller.tenantId, async (tx) => {
    const patch = typeof options.patch === 'function' ? await options.patch(tx) : options.patch;
    let updated = await tx.updateConversation(id, options.expectedVersion ?? current.version, { status: to, ...patch });
    emitUpdated(tx, current, updated);
    const messageId = options.also ? await options.also(tx) : undefined;
    if (messageId) updated = (await tx.getConversation(id)) ?? updated;
    return { updated, messageId };
  });
  ctx.conversations.clear(id).prime(id, updated);
  await announce(ctx, id, { queue: true, messageId });
  return { caller, before: current, after: updated };
}

export async function handoffToHuman(ctx: ConversationsContext, id: string, reason: string) {
  const why = text(reason, 'reason', 500);
  const { after } = await move(ctx, id, 'QUEUED', {
    from: 'BOT',
    also: async (tx) => {
      const note = await tx.appendMessage(id, { authorKind: 'SYSTEM', text: `Handed off to a human: ${why}`, metadata: { reason: why } });
      emitMessageSent(tx, note.message);
      return note.message.id;
    },
  });
  return after;
}

export async function assignConversation(ctx: ConversationsContext, id: string, userId: string | null | undefined) {
  const caller = authorize(ctx.identity, WORK);
  // Agents take unassigned conversations for themselves; taking one over (or round-robin on
  // someone else's) is SUPERVISOR and up. The version check in `move` refuses a race.
  const current = await findConversation(ctx, id);
  checkAssignment(caller, { what: 'conversation', currentAssigneeId: current.assigneeId }, userId || undefined);
  let assignee: Agent | null;
  if (userId) {
    assignee = isUuid(userId) ? await ctx.em.findOne(Agent, { id: userId, tenantId: caller.tenantId }) : null;
    if (!assignee) throw new NotFoundError('User', userId);
    if (assignee.role === 'ANALYST') throw new ConflictError('Analysts cannot be assigned conversations', { field: 'userId' });
  } else {
    // Round-robin: the tenant's AGENTs, then — locked and counted inside the unit of work
    // that assigns — the least loaded under capacity.
    const agents = await ctx.em.find(Agent, { tenantId: caller.tenantId, role: 'AGENT' }, { orderBy: { name: 'asc', id: 'asc' } });
    return (await move(ctx, id, 'ASSIGNED', { patch: (tx) => roundRobinPatch(tx, { id }, agents) })).after;
  }
  return (await move(ctx, id, 'ASSIGNED', { patch: { assigneeId: assignee.id } })).after;
}

export async function resolveConversation(ctx: ConversationsContext, id: string, expectedVersion?: number | null) {
  return (await move(ctx, id, 'RESOLVED', { expectedVersion })).after;
}

export async function reopenConversation(ctx: ConversationsContext, id: string) {
  const current = await findConversation(ctx, id);
  if (current.status !== 'RESOLVED') {
    throw new InvalidTransitionError(`Only a RESOLVED conversation can be reopened; this one is ${current.status}`, current.status, CONVERSATION_TRANSITIONS[current.status]);
  }
  return (await move(ctx, id, current.assigneeId ? 'ASSIGNED' : 'QUEUED')).after;
}

export async function markRead(ctx: ConversationsContext, id: string) {
  const caller = authorize(ctx.identity, WORK);
  await findConversation(ctx, id);
  const updated = await ctx.store.markRead(caller.tenantId, id);
  ctx.conversations.clear(id).prime(id, updated);
  return updated;
}

/**
 * Asks the tickets subgraph, by a `conversation.escalated` event written through the outbox,
 * to open a ticket linked to this conversation; it shows up in `Conversation.tickets` once
 * tickets has consumed the event. A system message records the escalation.
 */
export async function escalateToTicket(ctx: ConversationsContext, id: string, input: { subject?: string | null; priority?: string | null; category?: string | null }) {
  const caller = authorize(ctx.identity, WORK);
  const conversation = await findConversation(ctx, id);
  if (conversation.status === 'CLOSED') throw new InvalidTransitionError('A closed conversation cannot be escalated', 'CLOSED', []);
  const recent = await ctx.store.listMessages(caller.tenantId, id, { last: 20 });
  const subject = input.subject != null ? text(input.subject, 'subject', 300) : `Conversation with ${conversation.contact.name ?? conversation.contact.email ?? 'a customer'} on ${conversation.channel}`;
  const transcript = recent.edges.map(({ node }) => `${node.authorKind}: ${node.text}`).join('\n');
  // One unit of work: the request to tickets and the system message, or neither.
  const escalated = await ctx.store.transaction(caller.tenantId, async (tx) => {
    tx.emit('conversation.escalated', {
      conversationId: id,
      subject,
      description: transcript,
      priority: input.priority ?? conversation.priority,
      category: category(input.category),
      requesterName: conversation.contact.name,
      requesterEmail: conversation.contact.email,
      byUserId: caller.userId ?? null,
    });
    const note = await tx.appendMessage(id, { authorKind: 'SYSTEM', text: `Escalated to a ticket: ${subject}` });
    emitMessageSent(tx, note.message);
    return { conversation: (await tx.getConversation(id)) ?? conversation, messageId: note.message.id };
  });
  await announce(ctx, id, { messageId: escalated.messageId });
  return escalated.conversation;
}

/** The longest rating comment, in characters. */
export const MAX_RATING_COMMENT = 2_000;

/**
 * CSAT: rates a conversation 1–5, by the customer's channel API key (conversations:write) or
 * an agent; one rating per conversation, a second one replaces the first. Emits
 * `conversation.rated` { id, score, comment, replaced, channel } in the same unit of work.
 */
export async function rateConversation(ctx: ConversationsContext, id: string, score: number, comment: string | null | undefined): Promise<Conversation> {
  const caller = authorize(ctx.identity, WORK);
  if (!Number.isInteger(score) || score < 1 || score > 5) throw new BadInputError('score', 'score must be a whole number from 1 to 5');
  const note = optionalText(comment, 'comment', MAX_RATING_COMMENT);
  const conversation = await findConversation(ctx, id);
  await ctx.store.transaction(caller.tenantId, async (tx) => {
    const by = caller.kind === 'user' ? { byKind: 'user' as const, byId: caller.userId ?? null } : { byKind: 'apiKey' as const, byId: caller.apiKeyId ?? null };
    const { replaced } = await tx.rateConversation(conversation.id, { score, comment: note, ...by });
    tx.emit('conversation.rated', { id: conversation.id, score, comment: note, replaced, channel: conversation.channel, ...by });
  });
  ratingLoader(ctx).clear(conversation.id);
  return conversation;
}

/** How far ahead of our clock a caller's `modifiedAt` may be (clock skew; more would lock out later edits). */
const MAX_MODIFIED_AHEAD_MS = 5 * 60_000;

/**
 * Creates or changes a contact on its own (an agent's edit, a CRM import), with the change's
 * own time: the later of two changes wins (SaveContact). Emits `contact.created` or
 * `contact.updated` { id, fields, updatedAt } — field names only, no personal data on the
 * stream — in the same unit of work.
 */
export async function saveContact(ctx: ConversationsContext, input: SaveContactInput): Promise<SaveContactResult> {
  const caller = authorize(ctx.identity, WORK);
  if (input.id != null && !isUuid(input.id)) throw new NotFoundError('Contact', input.id);
  const pick = <T>(v: T | null | undefined, check: (v: T | null | undefined) => string | null) => (v === undefined ? undefined : check(v));
  const fields = {
    name: pick(input.name, (v) => optionalText(v, 'name', CONTACT_LIMITS.name)),
    email: pick(input.email, (v) => optionalEmail(v, 'email')),
    phone: pick(input.phone, (v) => optionalText(v, 'phone', CONTACT_LIMITS.phone)),
  };
  const modifiedAt = input.modifiedAt ?? undefined;
  if (modifiedAt && (Number.isNaN(modifiedAt.getTime()) || modifiedAt.getTime() > Date.now() + MAX_MODIFIED_AHEAD_MS)) {
    throw new BadInputError('modifiedAt', 'modifiedAt must be a time no more than 5 minutes ahead');
  }
  if (input.id == null && !fields.name && !fields.email && !fields.phone) throw new BadInputError('name', 'a new contact needs at least a name, email or phone');
  return ctx.store.transaction(caller.tenantId, async (tx) => {
    const result = await tx.saveContact({ id: input.id ?? undefined, matchEmail: input.matchEmail ?? false, ...fields, modifiedAt });
    if (result.applied) {
      const changed = (Object.keys(fields) as (keyof typeof fields)[]).filter((k) => fields[k] !== undefined);
      tx.emit(result.created ? 'contact.created' : 'contact.updated', { id: result.contact.id, fields: changed, updatedAt: result.contact.updatedAt.toISOString() });
    }
    return result;
  });
}

const ratings = new WeakMap<ConversationsContext, DataLoader<string, Rating | null>>();

/** Per request: the ratings of N conversations in one store read. */
export function ratingLoader(ctx: ConversationsContext): DataLoader<string, Rating | null> {
  let loader = ratings.get(ctx);
  if (!loader) {
    const caller = authorize(ctx.identity, READ);
    loader = new DataLoader(async (ids) => {
      const found = await ctx.store.getRatings(caller.tenantId, ids);
      const byId = new Map(found.map((r) => [r.conversationId, r]));
      return ids.map((id) => byId.get(id) ?? null);
    });
    ratings.set(ctx, loader);
  }
  return loader;
}

/** Live events after a change has committed: the queue, and the conversation's new message. */
export async function announce(ctx: ConversationsContext, conversationId: string, what: { messageId?: string; queue?: boolean }): Promise<void> {
  if (what.messageId) {
    await ctx.live({ field: 'messageAdded', args: { conversationId }, representation: { __typename: 'Message', id: what.messageId } });
  }
  if (what.queue) await ctx.live({ field: 'conversationUpdated', representation: { __typename: 'Conversation', id: conversationId } });
}
