import { buildFederatedSchema, LIVE_ACCESS_SDL, PageInfo, type SubgraphSchema } from '@switchboard/kit';
import { SlaPolicyResolver } from './modules/sla/sla-policy.resolver';
import { TicketCommentResolver, TicketHistoryResolver, TicketResolver, ticketReference } from './modules/tickets/ticket.resolver';
import { UserTicketsResolver, userReference } from './modules/users/user-tickets.resolver';
import { ConversationTicketsResolver, conversationReference } from './modules/escalations/conversation-tickets.resolver';

let built: Promise<SubgraphSchema> | undefined;

/** Live fields, served by the gateway from the live events this subgraph publishes after each commit. */
const SUBSCRIPTIONS = `
type Subscription {
  "The ticket changed: status, priority, assignee, a comment, its SLA state."
  ticketUpdated(id: ID!): Ticket @liveAccess(query: "ticket", argument: "id")
  "A ticket of your tenant became AT_RISK or BREACHED."
  slaAlert: Ticket
}
`;

/** The tickets subgraph schema (built once per process: type-graphql's metadata is global). */
export function ticketsSchema(): Promise<SubgraphSchema> {
  built ??= buildFederatedSchema({
    resolvers: [TicketResolver, TicketHistoryResolver, TicketCommentResolver, SlaPolicyResolver, UserTicketsResolver, ConversationTicketsResolver],
    orphanedTypes: [PageInfo],
    references: { ...ticketReference, ...userReference, ...conversationReference },
    extraSdl: `${LIVE_ACCESS_SDL}\n${SUBSCRIPTIONS}`,
  });
  return built;
}
