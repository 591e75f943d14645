/** The conversations subgraph: for now, its storage layer (issue 5). */
export * from './store/types';
export { isUuid, uuidv7 } from './store/shared';
export { PostgresConversationStore, createPostgresStore, conversationEntities, migrations, type PostgresStoreOptions } from './store/postgres-store';
export { MongoConversationStore, createMongoStore, type MongoStoreOptions } from './store/mongo-store';
export { bootstrap, conversationsEnv, readConversationsConfig, conversationsSchema, seedDemoConversations, type ConversationsApp, type ConversationsConfig } from './app';
