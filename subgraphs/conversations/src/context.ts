import type { EntityManager, Identity } from '@switchboard/kit';
import type DataLoader from 'dataloader';
import type { ConversationsConfig } from './env';
import type { Conversation, ConversationStore } from './store/types';

export interface ConversationsContext {
  identity: Identity;
  /** For the agent directory (always PostgreSQL). */
  em: EntityManager;
  store: ConversationStore;
  config: ConversationsConfig;
  conversations: DataLoader<string, Conversation | null>;
}
