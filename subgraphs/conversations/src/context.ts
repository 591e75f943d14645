import type { EntityManager, Identity, LiveEvent } from '@switchboard/kit';
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
  /** Tells the caller's tenant's live subscribers (through the gateway) that something happened. */
  live(event: LiveEvent): Promise<unknown>;
}
