import { OutboxRelay, consumeUserDirectory, publishLive, startSubgraph, type RunningSubgraph, type SubgraphDeps } from '@switchboard/kit';
import DataLoader from 'dataloader';
import type { ConversationsContext } from './context';
import type { ConversationsConfig } from './env';
import { AGENT_DIRECTORY_GROUP, Agent } from './modules/agents/agent.entity';
import { conversationsSchema } from './schema';
import { createMongoStore } from './store/mongo-store';
import { PostgresConversationStore, conversationEntities, migrations } from './store/postgres-store';
import type { Connection, Conversation, ConversationStore, Message } from './store/types';

export type ConversationsApp = RunningSubgraph & { store: ConversationStore };

/**
 * The conversations subgraph. Conversations and messages live in MongoDB when MONGO_URL is
 * set, else in PostgreSQL; the agent directory, audit log and outbox are always PostgreSQL.
 */
export async function bootstrap(config: ConversationsConfig & { DATABASE_URL: string }, deps: SubgraphDeps = {}): Promise<ConversationsApp> {
  let store: ConversationStore | undefined;
  const mongo = config.MONGO_URL ? await createMongoStore({ url: config.MONGO_URL }) : undefined;
  const app = await startSubgraph<ConversationsContext>({
    name: 'conversations',
    config,
    port: config.CONVERSATIONS_PORT,
    deps,
    entities: [...conversationEntities, Agent],
    migrations,
    schema: conversationsSchema,
    background: ({ orm, events, bus, log, metrics }) => {
      store = mongo ?? new PostgresConversationStore(orm);
      // MongoDB's outbox collection, drained to the same bus as the PostgreSQL outbox.
      const mongoRelay = mongo && new OutboxRelay(mongo.outboxSource(), bus, log, metrics).start();
      const unwatch = mongo?.onEventsCommitted(() => mongoRelay?.wake());
      return [
        consumeUserDirectory(orm, events, AGENT_DIRECTORY_GROUP, Agent),
        async () => {
          unwatch?.();
          await mongoRelay?.stop();
          await mongo?.close();
        },
      ];
    },
    context: (identity, em, { redis }) => {
      const s = store!;
      const tenantId = identity.tenantId ?? '';
      const pages = new Map<string, DataLoader<string, Connection<Message>>>();
      return {
        identity,
        em,
        store: s,
        config,
        live: (event) => (tenantId ? publishLive(redis, tenantId, event) : Promise.resolve(false)),
        firstMessages: (page) => {
          const key = JSON.stringify([page.first ?? null, page.last ?? null]);
          let loader = pages.get(key);
          if (!loader) {
            loader = new DataLoader(async (ids) => {
              const found = await s.firstPages(tenantId, ids, page);
              return ids.map((id) => found.get(id)!);
            });
            pages.set(key, loader);
          }
          return loader;
        },
        conversations: new DataLoader<string, Conversation | null>(async (ids) => {
          const rows = tenantId ? await s.getConversations(tenantId, ids) : [];
          const byId = new Map(rows.map((c) => [c.id, c]));
          return ids.map((id) => byId.get(id) ?? null);
        }),
      };
    },
  });
  return Object.assign(app, { store: store! });
}

export { conversationsEnv, readConversationsConfig, type ConversationsConfig } from './env';
export { conversationsSchema } from './schema';
export { seedDemoConversations } from './seed';
