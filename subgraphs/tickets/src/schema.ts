import { buildFederatedSchema, PageInfo, type SubgraphSchema } from '@switchboard/kit';
import { SlaPolicyResolver } from './modules/sla/sla-policy.resolver';
import { TicketCommentResolver, TicketHistoryResolver, TicketResolver, ticketReference } from './modules/tickets/ticket.resolver';
import { UserTicketsResolver, userReference } from './modules/users/user-tickets.resolver';
import { ConversationTicketsResolver, conversationReference } from './modules/escalations/conversation-tickets.resolver';

let built: Promise<SubgraphSchema> | undefined;

/** The tickets subgraph schema (built once per process: type-graphql's metadata is global). */
export function ticketsSchema(): Promise<SubgraphSchema> {
  built ??= buildFederatedSchema({
    resolvers: [TicketResolver, TicketHistoryResolver, TicketCommentResolver, SlaPolicyResolver, UserTicketsResolver, ConversationTicketsResolver],
    orphanedTypes: [PageInfo],
    references: { ...ticketReference, ...userReference, ...conversationReference },
  });
  return built;
}
