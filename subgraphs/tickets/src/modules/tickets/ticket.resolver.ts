import { Arg, Ctx, Field, FieldResolver, ID, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import type { TicketsContext } from '../../context';
import { LIST_DEFAULT, LIST_MAX, listPage } from './lists';
import { SlaPolicy } from '../sla/sla-policy.entity';
import { User } from '../users/user.stub';
import { Conversation } from '../escalations/conversation.stub';
import { TicketConnection } from '../users/user-tickets.resolver';
import { CreateTicketInput, TicketFilter, TicketOrder, UpdateTicketInput } from './inputs';
import { TicketComment } from './ticket-comment.entity';
import { TicketHistory } from './ticket-history.entity';
import { SlaState, Ticket, TicketStatus } from './ticket.entity';
import {
  addComment,
  assignTicket,
  autoAssignTicket,
  changeTicketStatus,
  createTicket,
  findTicket,
  listTickets,
  ticketCounts,
  updateTicket,
} from './tickets.service';
import { allowedTransitions } from './workflow';

@ObjectType()
export class Requester {
  @Field()
  name!: string;

  @Field()
  email!: string;
}

@ObjectType({ description: 'Where a ticket stands against its SLA policy.' })
export class TicketSla {
  @Field(() => SlaPolicy, { nullable: true })
  policy!: SlaPolicy | null;

  @Field(() => Date, { nullable: true })
  firstResponseDueAt!: Date | null;

  @Field(() => Date, { nullable: true })
  resolutionDueAt!: Date | null;

  @Field(() => SlaState)
  state!: SlaState;

  @Field(() => Date, { nullable: true })
  breachedAt!: Date | null;
}

@ObjectType()
export class TicketStatusCount {
  @Field(() => TicketStatus)
  status!: TicketStatus;

  @Field(() => Int)
  count!: number;
}

@Resolver(() => Ticket)
export class TicketResolver {
  @Query(() => Ticket, { description: 'A ticket of your tenant.' })
  ticket(@Arg('id', () => ID) id: string, @Ctx() ctx: TicketsContext): Promise<Ticket> {
    return findTicket(ctx, id);
  }

  @Query(() => TicketConnection, { nullable: true, description: 'Your tenant’s tickets, newest first unless orderBy says otherwise.' })
  tickets(
    @Ctx() ctx: TicketsContext,
    @Arg('filter', () => TicketFilter, { nullable: true }) filter?: TicketFilter,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('orderBy', () => TicketOrder, { nullable: true }) orderBy?: TicketOrder,
  ) {
    return listTickets(ctx, { filter, first, after, orderBy });
  }

  @Query(() => [TicketStatusCount], { nullable: true, description: 'How many tickets your tenant has in each status.' })
  ticketCounts(@Ctx() ctx: TicketsContext) {
    return ticketCounts(ctx);
  }

  @Mutation(() => Ticket)
  createTicket(@Arg('input') input: CreateTicketInput, @Ctx() ctx: TicketsContext): Promise<Ticket> {
    return createTicket(ctx, input);
  }

  @Mutation(() => Ticket, { description: 'Changes the given fields; a priority change recomputes the SLA due times.' })
  updateTicket(
    @Arg('id', () => ID) id: string,
    @Arg('input') input: UpdateTicketInput,
    @Ctx() ctx: TicketsContext,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Ticket> {
    return updateTicket(ctx, id, input, expectedVersion);
  }

  @Mutation(() => Ticket, { description: 'Moves a ticket through the workflow; INVALID_TRANSITION lists the allowed targets.' })
  changeTicketStatus(
    @Arg('id', () => ID) id: string,
    @Arg('status', () => TicketStatus) status: TicketStatus,
    @Ctx() ctx: TicketsContext,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Ticket> {
    return changeTicketStatus(ctx, id, status, expectedVersion);
  }

  @Mutation(() => Ticket, { description: 'Agents assign to themselves; SUPERVISOR and up to anyone. A null userId unassigns.' })
  assignTicket(@Arg('id', () => ID) id: string, @Arg('userId', () => ID, { nullable: true }) userId: string | null, @Ctx() ctx: TicketsContext): Promise<Ticket> {
    return assignTicket(ctx, id, userId ?? null);
  }

  @Mutation(() => Ticket, { description: 'SUPERVISOR and up: the least-loaded AGENT whose skills cover the category.' })
  autoAssignTicket(@Arg('id', () => ID) id: string, @Ctx() ctx: TicketsContext): Promise<Ticket> {
    return autoAssignTicket(ctx, id);
  }

  @Mutation(() => Ticket, { description: 'A reply (public) or a note (internal). The first public reply from the team is the first response.' })
  addTicketComment(
    @Arg('id', () => ID) id: string,
    @Arg('body') body: string,
    @Ctx() ctx: TicketsContext,
    @Arg('internal', { defaultValue: false }) internal: boolean,
  ): Promise<Ticket> {
    return addComment(ctx, id, body, internal);
  }

  @FieldResolver(() => Requester)
  requester(@Root() t: Ticket): Requester {
    return { name: t.requesterName, email: t.requesterEmail };
  }

  @FieldResolver(() => User, { nullable: true })
  assignee(@Root() t: Ticket): User | null {
    return t.assigneeId ? { id: t.assigneeId } : null;
  }

  @FieldResolver(() => Conversation, { nullable: true, description: 'The conversation this ticket was escalated from.' })
  conversation(@Root() t: Ticket): Conversation | null {
    return t.conversationId ? { id: t.conversationId } : null;
  }

  @FieldResolver(() => TicketSla, { nullable: true, description: 'Null when the tenant has no policy for the ticket’s priority.' })
  async sla(@Root() t: Ticket, @Ctx() ctx: TicketsContext): Promise<TicketSla | null> {
    if (!t.slaPolicyId) return null;
    return {
      policy: await ctx.loaders.slaPolicy.load(t.slaPolicyId),
      firstResponseDueAt: t.firstResponseDueAt ?? null,
      resolutionDueAt: t.resolutionDueAt ?? null,
      state: t.slaState,
      breachedAt: t.slaBreachedAt ?? null,
    };
  }

  @FieldResolver(() => [TicketStatus], { description: 'The statuses this ticket may move to now.' })
  allowedTransitions(@Root() t: Ticket): readonly TicketStatus[] {
    return allowedTransitions(t.status);
  }

  @FieldResolver(() => [TicketHistory], {
    description: `Changes, oldest first: the first \`first\` (default ${LIST_DEFAULT}, at most ${LIST_MAX}) after the change whose id is \`after\`. An internal note shows as an \`internalNote\` entry without its text; partner keys do not see those entries.`,
  })
  history(
    @Root() t: Ticket,
    @Ctx() ctx: TicketsContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: LIST_DEFAULT }) first?: number | null,
    @Arg('after', () => ID, { nullable: true, description: 'The id of the last change you have.' }) after?: string | null,
  ): Promise<TicketHistory[]> {
    return ctx.loaders.history(listPage(ctx, first, after)).load(t.id);
  }

  @FieldResolver(() => [TicketComment], {
    description: `Oldest first: the first \`first\` (default ${LIST_DEFAULT}, at most ${LIST_MAX}) after the comment whose id is \`after\`. Partner keys see public replies only.`,
  })
  comments(
    @Root() t: Ticket,
    @Ctx() ctx: TicketsContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: LIST_DEFAULT }) first?: number | null,
    @Arg('after', () => ID, { nullable: true, description: 'The id of the last comment you have.' }) after?: string | null,
  ): Promise<TicketComment[]> {
    return ctx.loaders.comments(listPage(ctx, first, after)).load(t.id);
  }
}

@Resolver(() => TicketHistory)
export class TicketHistoryResolver {
  @FieldResolver(() => GraphQLJSON, { nullable: true })
  to(@Root() h: TicketHistory): unknown {
    // Entries written before internal notes were recorded without their text keep none either.
    return h.field === 'internalNote' ? null : (h.to ?? null);
  }

  @FieldResolver(() => User, { nullable: true, description: 'The user who made the change (null for API keys and the SLA check).' })
  actor(@Root() h: TicketHistory): User | null {
    return h.actorKind === 'user' && h.actorId ? { id: h.actorId } : null;
  }
}

@Resolver(() => TicketComment)
export class TicketCommentResolver {
  @FieldResolver(() => User, { nullable: true, description: 'The user who wrote it (null when an API key did).' })
  author(@Root() c: TicketComment): User | null {
    return c.authorKind === 'user' && c.authorId ? { id: c.authorId } : null;
  }
}

export const ticketReference = {
  Ticket: { __resolveReference: (ref: { id: string }, ctx: TicketsContext) => findTicket(ctx, ref.id) },
};
