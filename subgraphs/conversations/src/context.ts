import type { EntityManager, Identity, LiveEvent } from '@switchboard/kit';
import type DataLoader from 'dataloader';
import type { ConversationsConfig } from './env';
import type { Connection, Conversation, ConversationStore, Message } from './store/types';

export interface ConversationsContext {
  identity: Identity;
  /** For the agent directory (always PostgreSQL). */
  em: EntityManager;
  store: ConversationStore;
  config: ConversationsConfig;
  conversations: DataLoader<string, Conversation | null>;
  /** The first or last page of messages, batched across the conversations in one answer. */
  firstMessages(page: { first?: number | null; last?: number | null }): DataLoader<string, Connection<Message>>;
  /** Tells the caller's tenant's live subscribers (through the gateway) that something happened. */
  live(event: LiveEvent): Promise<unknown>;
}
