import { NotFoundError, authorize, isUuid, stubReferences } from '@switchboard/kit';
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { ConversationsContext } from '../../context';
import type { Conversation, Message } from '../../store/types';
import { User } from '../users/user.stub';
import { messageLoader } from './loaders';
import { TypingIndicator, resolveTyping, setTyping } from './typing';
import {
  ContactType,
  ConversationConnection,
  ConversationFilterInput,
  ConversationPriority,
  ConversationRatingType,
  ConversationType,
  MessageConnection,
  MessageType,
  SaveContactInput,
  SaveContactPayload,
  SendMessageInput,
  SendMessagePayload,
  StartConversationInput,
} from './graphql-types';
import {
  READ,
  assignConversation,
  escalateToTicket,
  findConversation,
  handoffToHuman,
  listConversations,
  markRead,
  rateConversation,
  ratingLoader,
  reopenConversation,
  resolveConversation,
  saveContact,
  sendMessage,
  startConversation,
} from './conversations.service';

const withNodes = <T>(c: { edges: { cursor: string; node: T }[] }) => ({ ...c, nodes: c.edges.map((e) => e.node) });

@Resolver(() => ConversationType)
export class ConversationResolver {
  @Query(() => ConversationType, { description: 'A conversation of your tenant.' })
  conversation(@Arg('id', () => ID) id: string, @Ctx() ctx: ConversationsContext): Promise<Conversation> {
    return findConversation(ctx, id);
  }

  @Query(() => ConversationConnection, { nullable: true, description: 'The queue: your tenant’s conversations, most recent activity first.' })
  async conversations(
    @Ctx() ctx: ConversationsContext,
    @Arg('filter', () => ConversationFilterInput, { nullable: true }) filter?: ConversationFilterInput,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return withNodes(await listConversations(ctx, filter, { first, after }));
  }

  @Query(() => ContactType, { nullable: true, description: 'A contact of your tenant; null when there is none with that id.' })
  async contact(@Arg('id', () => ID) id: string, @Ctx() ctx: ConversationsContext) {
    const caller = authorize(ctx.identity, READ);
    return ctx.store.getContact(caller.tenantId, id);
  }

  @Mutation(() => SaveContactPayload, { description: 'Creates or changes a contact on its own (agents, CRM sync); with `modifiedAt` the later change wins.' })
  saveContact(@Arg('input') input: SaveContactInput, @Ctx() ctx: ConversationsContext) {
    return saveContact(ctx, input);
  }

  @Mutation(() => ConversationType, { description: 'A new conversation (with the bot), optionally with the customer’s first message.' })
  startConversation(@Arg('input') input: StartConversationInput, @Ctx() ctx: ConversationsContext) {
    return startConversation(ctx, input);
  }

  @Mutation(() => SendMessagePayload, { description: 'Stores a message once per idempotencyKey: a retry answers the stored message with created: false.' })
  sendMessage(@Arg('input') input: SendMessageInput, @Ctx() ctx: ConversationsContext) {
    return sendMessage(ctx, input);
  }

  @Mutation(() => ConversationType, { description: 'BOT → QUEUED, with the reason as a system message.' })
  handoffToHuman(@Arg('id', () => ID) id: string, @Arg('reason') reason: string, @Ctx() ctx: ConversationsContext) {
    return handoffToHuman(ctx, id, reason);
  }

  @Mutation(() => ConversationType, { description: 'To a user (agents: themselves), or with no userId to the least-loaded available AGENT.' })
  assignConversation(@Arg('id', () => ID) id: string, @Ctx() ctx: ConversationsContext, @Arg('userId', () => ID, { nullable: true }) userId?: string) {
    return assignConversation(ctx, id, userId);
  }

  @Mutation(() => ConversationType)
  resolveConversation(@Arg('id', () => ID) id: string, @Ctx() ctx: ConversationsContext, @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number) {
    return resolveConversation(ctx, id, expectedVersion);
  }

  @Mutation(() => ConversationType, { description: 'RESOLVED → QUEUED (or ASSIGNED when it has an assignee).' })
  reopenConversation(@Arg('id', () => ID) id: string, @Ctx() ctx: ConversationsContext) {
    return reopenConversation(ctx, id);
  }

  @Mutation(() => ConversationType, { description: 'Opens a ticket (owned by the tickets subgraph) linked to this conversation; it appears in `tickets` within moments.' })
  escalateToTicket(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: ConversationsContext,
    @Arg('subject', () => String, { nullable: true }) subject?: string,
    @Arg('priority', () => ConversationPriority, { nullable: true }) priority?: string,
    @Arg('category', () => String, { nullable: true }) category?: string,
  ) {
    return escalateToTicket(ctx, id, { subject, priority, category });
  }

  @Mutation(() => TypingIndicator, { description: 'Tells the conversation’s `typing` subscribers that you started or stopped typing. Nothing is stored.' })
  setTyping(@Arg('conversationId', () => ID) conversationId: string, @Arg('isTyping') isTyping: boolean, @Ctx() ctx: ConversationsContext) {
    return setTyping(ctx, conversationId, isTyping);
  }

  @Mutation(() => ConversationType, { description: 'Sets unreadCount to 0.' })
  markRead(@Arg('id', () => ID) id: string, @Ctx() ctx: ConversationsContext) {
    return markRead(ctx, id);
  }

  @Mutation(() => ConversationType, { description: 'CSAT: rates the conversation 1–5 (the customer’s channel API key, or an agent). One rating per conversation: a second one replaces the first.' })
  rateConversation(
    @Arg('id', () => ID) id: string,
    @Arg('score', () => Int) score: number,
    @Arg('comment', () => String, { nullable: true }) comment: string | undefined,
    @Ctx() ctx: ConversationsContext,
  ) {
    return rateConversation(ctx, id, score, comment);
  }

  @FieldResolver(() => ConversationRatingType, { nullable: true, description: 'The customer’s rating, once given.' })
  rating(@Root() c: Conversation, @Ctx() ctx: ConversationsContext) {
    return ratingLoader(ctx).load(c.id);
  }

  @FieldResolver(() => User, { nullable: true })
  assignee(@Root() c: Conversation): User | null {
    return c.assigneeId ? { id: c.assigneeId } : null;
  }

  @FieldResolver(() => MessageConnection, { description: 'Newest last. `last`/`before` page back in time; with neither first nor last, the newest 20.' })
  async messages(
    @Root() c: Conversation,
    @Ctx() ctx: ConversationsContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('last', () => Int, { nullable: true }) last?: number,
    @Arg('before', () => String, { nullable: true }) before?: string,
  ) {
    // Without cursors (a queue showing each conversation's latest messages): one batch for all.
    const page = after || before ? await ctx.store.listMessages(c.tenantId, c.id, { first, after, last, before }) : await ctx.firstMessages({ first, last }).load(c.id);
    return withNodes(page);
  }
}

@Resolver(() => TypingIndicator)
export class TypingResolver {
  @FieldResolver(() => User, { nullable: true, description: 'The agent typing; null for the customer.' })
  user(@Root() t: TypingIndicator): User | null {
    return t.userId ? { id: t.userId } : null;
  }

  @FieldResolver(() => ConversationType)
  conversation(@Root() t: TypingIndicator, @Ctx() ctx: ConversationsContext): Promise<Conversation> {
    return findConversation(ctx, t.conversationId);
  }
}

@Resolver(() => MessageType)
export class MessageResolver {
  @FieldResolver(() => User, { nullable: true, description: 'The agent who wrote it; null for customers, the bot and the system.' })
  author(@Root() m: Message): User | null {
    return m.authorKind === 'AGENT' && m.authorId ? { id: m.authorId } : null;
  }

  @FieldResolver(() => ConversationType)
  conversation(@Root() m: Message, @Ctx() ctx: ConversationsContext): Promise<Conversation> {
    return findConversation(ctx, m.conversationId);
  }
}

export const references = {
  Conversation: { __resolveReference: (ref: { id: string }, ctx: ConversationsContext) => findConversation(ctx, ref.id) },
  Message: {
    __resolveReference: async (ref: { id: string }, ctx: ConversationsContext) => {
      const message = isUuid(ref.id) ? await messageLoader(ctx).load(ref.id) : (authorize(ctx.identity, READ), null);
      if (!message) throw new NotFoundError('Message', ref.id);
      return message;
    },
  },
  ...stubReferences('User'),
  TypingIndicator: { __resolveReference: (ref: { id: string }, ctx: ConversationsContext) => resolveTyping(ctx, ref.id) },
};
