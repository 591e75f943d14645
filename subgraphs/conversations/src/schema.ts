import { buildFederatedSchema, PageInfo, type SubgraphSchema } from '@switchboard/kit';
import { ConversationResolver, MessageResolver, references } from './modules/conversations/conversation.resolver';

let built: Promise<SubgraphSchema> | undefined;

/** The conversations subgraph schema (built once per process: type-graphql's metadata is global). */
export function conversationsSchema(): Promise<SubgraphSchema> {
  built ??= buildFederatedSchema({ resolvers: [ConversationResolver, MessageResolver], orphanedTypes: [PageInfo], references });
  return built;
}
