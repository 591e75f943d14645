import { connectionType, stubReferences } from '@switchboard/kit';
import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import type { TicketsContext } from '../../context';
import { Ticket } from '../tickets/ticket.entity';
import { assignedTickets } from '../tickets/tickets.service';
import { authorize } from '@switchboard/kit';
import { READ } from '../tickets/tickets.service';
import { User } from './user.stub';

export const TicketConnection = connectionType(Ticket, 'Ticket');

@Resolver(() => User)
export class UserTicketsResolver {
  @FieldResolver(() => TicketConnection, { nullable: true, description: 'Tickets assigned to this user, newest first (null while the tickets service is unavailable).' })
  assignedTickets(
    @Root() user: User,
    @Ctx() ctx: TicketsContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return assignedTickets(ctx, user.id, { first, after });
  }

  @FieldResolver(() => Int, { nullable: true, description: 'Open tickets (OPEN, IN_PROGRESS, PENDING) assigned to this user (null while the tickets service is unavailable).' })
  openTicketCount(@Root() user: User, @Ctx() ctx: TicketsContext): Promise<number> {
    authorize(ctx.identity, READ);
    return ctx.loaders.openTicketCount.load(user.id);
  }
}

export const userReference = stubReferences('User');
