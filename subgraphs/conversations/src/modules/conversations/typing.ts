import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { BadInputError, WORKER_ROLES, authorize } from '@switchboard/kit';
import type { ConversationsContext } from '../../context';
import { findConversation } from './conversations.service';

/**
 * Someone is (or stopped) typing in a conversation. Not stored: the whole state travels in
 * the id, so the gateway can resolve a live event's representation back into the object.
 */
@ObjectType('TypingIndicator', { description: 'Who is typing in a conversation, live. Not stored.' })
@Directive('@key(fields: "id")')
export class TypingIndicator {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  conversationId!: string;

  /** The agent typing; null for the customer. */
  userId!: string | null;

  @Field({ description: 'False when they stopped.' })
  isTyping!: boolean;

  @Field()
  at!: Date;
}

export function encodeTyping(t: Omit<TypingIndicator, 'id'>): string {
  return Buffer.from(JSON.stringify([t.conversationId, t.userId, t.isTyping, t.at.getTime()])).toString('base64url');
}

export function decodeTyping(id: string): TypingIndicator | null {
  try {
    const [conversationId, userId, isTyping, at] = JSON.parse(Buffer.from(id, 'base64url').toString('utf8')) as [string, string | null, boolean, number];
    if (typeof conversationId !== 'string' || typeof isTyping !== 'boolean' || !Number.isFinite(at)) return null;
    return { id, conversationId, userId, isTyping, at: new Date(at) };
  } catch {
    return null;
  }
}

/** Announces typing to the conversation's subscribers; nothing is written. */
export async function setTyping(ctx: ConversationsContext, conversationId: string, isTyping: boolean, now = new Date()): Promise<TypingIndicator> {
  const caller = authorize(ctx.identity, { roles: WORKER_ROLES, scope: 'conversations:write' });
  const conversation = await findConversation(ctx, conversationId);
  if (conversation.status === 'CLOSED') throw new BadInputError('conversationId', 'the conversation is closed');
  const state = { conversationId, userId: caller.kind === 'user' ? (caller.userId ?? null) : null, isTyping, at: now };
  const typing = { ...state, id: encodeTyping(state) };
  await ctx.live({ field: 'typing', args: { conversationId }, representation: { __typename: 'TypingIndicator', id: typing.id } });
  return typing;
}

/** A typing event resolves only for callers who may see its conversation (else NOT_FOUND). */
export async function resolveTyping(ctx: ConversationsContext, id: string): Promise<TypingIndicator> {
  const typing = decodeTyping(id);
  if (!typing) throw new BadInputError('id', 'not a typing indicator');
  await findConversation(ctx, typing.conversationId);
  return typing;
}
