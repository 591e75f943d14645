import { authorize } from '@switchboard/kit';
import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { TicketsContext } from '../../context';
import { Ticket } from '../tickets/ticket.entity';
import { READ } from '../tickets/tickets.service';
import { Conversation } from './conversation.stub';

@Resolver(() => Conversation)
export class ConversationTicketsResolver {
  @FieldResolver(() => [Ticket], { description: 'Tickets opened from this conversation, oldest first.' })
  tickets(@Root() conversation: Conversation, @Ctx() ctx: TicketsContext): Promise<Ticket[]> {
    const caller = authorize(ctx.identity, READ);
    return ctx.em.find(Ticket, { tenantId: caller.tenantId, conversationId: conversation.id }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }
}

export const conversationReference = {
  Conversation: { __resolveReference: (ref: { id: string }) => ({ id: ref.id }) },
};
