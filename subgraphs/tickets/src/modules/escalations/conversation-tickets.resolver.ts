import { stubReferences } from '@switchboard/kit';
import { Arg, Ctx, FieldResolver, ID, Int, Resolver, Root } from 'type-graphql';
import type { TicketsContext } from '../../context';
import { LIST_DEFAULT, LIST_MAX, listPage } from '../tickets/lists';
import { Ticket } from '../tickets/ticket.entity';
import { Conversation } from './conversation.stub';

@Resolver(() => Conversation)
export class ConversationTicketsResolver {
  @FieldResolver(() => [Ticket], {
    nullable: true,
    description: `Tickets opened from this conversation, oldest first: the first \`first\` (default ${LIST_DEFAULT}, at most ${LIST_MAX}) after the ticket whose id is \`after\` (null while the tickets service is unavailable).`,
  })
  tickets(
    @Root() conversation: Conversation,
    @Ctx() ctx: TicketsContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: LIST_DEFAULT }) first?: number | null,
    @Arg('after', () => ID, { nullable: true, description: 'The id of the last ticket you have.' }) after?: string | null,
  ): Promise<Ticket[]> {
    // One statement for every conversation in the answer (a queue of 50 costs one, not 50).
    return ctx.loaders.conversationTickets(listPage(ctx, first, after)).load(conversation.id);
  }
}

export const conversationReference = stubReferences('Conversation');
