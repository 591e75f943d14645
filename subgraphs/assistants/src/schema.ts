import { buildFederatedSchema, type SubgraphSchema } from '@switchboard/kit';
import { Article, Conversation, MessageRef, Ticket } from './modules/assistants/graphql-types';
import {
  AiCitationResolver,
  AiTurnResolver,
  AssistantResolver,
  AssistantVersionResolver,
  ConversationAssistantResolver,
  MessageAiTurnResolver,
  references,
  SuggestedArticleResolver,
  TicketTriageResolver,
} from './modules/assistants/assistant.resolver';

let built: Promise<SubgraphSchema> | undefined;

/** The assistants subgraph schema (built once per process: type-graphql's metadata is global). */
export function assistantsSchema(): Promise<SubgraphSchema> {
  built ??= buildFederatedSchema({
    resolvers: [AssistantResolver, AssistantVersionResolver, MessageAiTurnResolver, AiCitationResolver, SuggestedArticleResolver, AiTurnResolver, ConversationAssistantResolver, TicketTriageResolver],
    // Entities of other subgraphs this one adds fields to (not reachable from its own Query).
    orphanedTypes: [Conversation, MessageRef, Ticket, Article],
    references,
  });
  return built;
}
