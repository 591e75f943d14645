import { buildFederatedSchema, LIVE_ACCESS_SDL, PageInfo, type SubgraphSchema } from '@switchboard/kit';
import { ConversationResolver, MessageResolver, TypingResolver, references } from './modules/conversations/conversation.resolver';

let built: Promise<SubgraphSchema> | undefined;

/**
 * Live fields. The gateway serves them (graphql-ws): it answers each from the entity key in
 * a live event this subgraph publishes, and checks access to `conversationId` with the
 * `conversation` query when a client subscribes.
 */
const SUBSCRIPTIONS = `
type Subscription {
  "A message was added to the conversation (any author)."
  messageAdded(conversationId: ID!): Message @liveAccess(query: "conversation", argument: "conversationId")
  "A conversation of your tenant started, was handed off, assigned, resolved or reopened: the agent queue, live."
  conversationUpdated: Conversation
  "Someone started or stopped typing in the conversation."
  typing(conversationId: ID!): TypingIndicator @liveAccess(query: "conversation", argument: "conversationId")
}
`;

/** The conversations subgraph schema (built once per process: type-graphql's metadata is global). */
export function conversationsSchema(): Promise<SubgraphSchema> {
  built ??= buildFederatedSchema({
    resolvers: [ConversationResolver, MessageResolver, TypingResolver],
    orphanedTypes: [PageInfo],
    references,
    extraSdl: `${LIVE_ACCESS_SDL}\n${SUBSCRIPTIONS}`,
  });
  return built;
}
