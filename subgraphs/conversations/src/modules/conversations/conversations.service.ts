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
  emitEvent,
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
import type { AuthorKind, Channel, Conversation, ConversationStatus, Priority } from '../../store/types';
import { Agent } from '../agents/agent.entity';
import type { ConversationFilterInput, SendMessageInput, StartConversationInput } from './graphql-types';
import { CONVERSATION_TRANSITIONS, canMove } from './workflow';

export const READ = { roles: ALL_ROLES, scope: 'conversations:read' };
const WORK = { roles: WORKER_ROLES, scope: 'conversations:write' };
/** Conversations an agent may hold at once before round-robin passes them by. */
export const AGENT_CAPACITY = 5;

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
  const conversation = await ctx.store.createConversation(caller.tenantId, {
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
  const sent = first ? await ctx.store.appendMessage(caller.tenantId, conversation.id, { authorKind: 'CUSTOMER', text: first }) : null;
  await announce(ctx, conversation.id, { queue: true, messageId: sent?.message.id });
  return sent ? (await ctx.store.getConversation(caller.tenantId, conversation.id))! : conversation;
}

function authorOf(caller: Caller, requested: string | null | undefined): { authorKind: AuthorKind; authorId: string | null } {
  if (caller.kind === 'user') {
    if (requested && requested !== 'AGENT') throw new BadInputError('as', 'people send as AGENT; only API keys send as CUSTOMER or BOT');
    return { authorKind: 'AGENT', authorId: caller.userId ?? null };
  }
  const kind = (requested ?? 'CUSTOMER') as AuthorKind;
  if (kind !== 'CUSTOMER' && kind !== 'BOT') throw new BadInputError('as', 'an API key sends as CUSTOMER or BOT');
  return { authorKind: kind, authorId: null };
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
  const result = await ctx.store.appendMessage(caller.tenantId, conversation.id, {
    ...author,
    text: body,
    attachments: files,
    metadata: meta,
    idempotencyKey: input.idempotencyKey ?? null,
  });
  if (result.created) await announce(ctx, conversation.id, { messageId: result.message.id });
  return result;
}

/** Moves a conversation, refusing moves the workflow does not allow (INVALID_TRANSITION, with what is allowed). */
async function move(
  ctx: ConversationsContext,
  id: string,
  to: ConversationStatus,
  options: { patch?: { assigneeId?: string | null }; expectedVersion?: number | null; from?: ConversationStatus } = {},
) {
  const caller = authorize(ctx.identity, WORK);
  const current = await findConversation(ctx, id);
  const stays = current.status === to && to === 'ASSIGNED'; // a reassignment
  if ((options.from && current.status !== options.from) || (!stays && !canMove(current.status, to))) {
    throw new InvalidTransitionError(`A ${current.status} conversation cannot become ${to}`, current.status, CONVERSATION_TRANSITIONS[current.status]);
  }
  const updated = await ctx.store.updateConversation(caller.tenantId, id, options.expectedVersion ?? current.version, { status: to, ...options.patch });
  ctx.conversations.clear(id).prime(id, updated);
  await announce(ctx, id, { queue: true });
  return { caller, before: current, after: updated };
}

export async function handoffToHuman(ctx: ConversationsContext, id: string, reason: string) {
  const why = text(reason, 'reason', 500);
  const { caller, after } = await move(ctx, id, 'QUEUED', { from: 'BOT' });
  const note = await ctx.store.appendMessage(caller.tenantId, id, { authorKind: 'SYSTEM', text: `Handed off to a human: ${why}`, metadata: { reason: why } });
  await announce(ctx, id, { messageId: note.message.id });
  return (await ctx.store.getConversation(caller.tenantId, id)) ?? after;
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
    assignee = await roundRobin(ctx, caller.tenantId);
  }
  return (await move(ctx, id, 'ASSIGNED', { patch: { assigneeId: assignee.id } })).after;
}

/** The AGENT with the fewest assigned conversations, under capacity; ties by name, then id. */
async function roundRobin(ctx: ConversationsContext, tenantId: string): Promise<Agent> {
  const agents = await ctx.em.find(Agent, { tenantId, role: 'AGENT' }, { orderBy: { name: 'asc', id: 'asc' } });
  let best: { agent: Agent; load: number } | null = null;
  for (const agent of agents) {
    const load = (await ctx.store.listConversations(tenantId, { assigneeId: agent.id, status: ['ASSIGNED'] }, { first: 1 })).totalCount;
    if (load < AGENT_CAPACITY && (!best || load < best.load)) best = { agent, load };
  }
  if (!best) throw new ConflictError('Every agent is at capacity; the conversation stays queued', { reason: 'NO_AVAILABLE_AGENT', capacity: AGENT_CAPACITY });
  return best.agent;
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
  emitEvent(ctx.em, 'conversation.escalated', caller.tenantId, {
    conversationId: id,
    subject,
    description: transcript,
    priority: input.priority ?? conversation.priority,
    category: category(input.category),
    requesterName: conversation.contact.name,
    requesterEmail: conversation.contact.email,
    byUserId: caller.userId ?? null,
  });
  await ctx.em.flush();
  const note = await ctx.store.appendMessage(caller.tenantId, id, { authorKind: 'SYSTEM', text: `Escalated to a ticket: ${subject}` });
  await announce(ctx, id, { messageId: note.message.id });
  return (await ctx.store.getConversation(caller.tenantId, id)) ?? conversation;
}

/** Live events after a change has committed: the queue, and the conversation's new message. */
export async function announce(ctx: ConversationsContext, conversationId: string, what: { messageId?: string; queue?: boolean }): Promise<void> {
  if (what.messageId) {
    await ctx.live({ field: 'messageAdded', args: { conversationId }, representation: { __typename: 'Message', id: what.messageId } });
  }
  if (what.queue) await ctx.live({ field: 'conversationUpdated', representation: { __typename: 'Conversation', id: conversationId } });
}
