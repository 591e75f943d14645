import { commonEnv, env, parseConfig, type Config } from '@switchboard/kit';

export const conversationsEnv = {
  ...commonEnv,
  CONVERSATIONS_PORT: env.port(4002),
  /** With MONGO_URL, conversations and messages live in MongoDB; else in PostgreSQL. */
  MONGO_URL: env.optionalUrl({ protocols: ['mongodb', 'mongodb+srv'] }),
  MAX_MESSAGE_CHARS: env.int({ default: 4_000, min: 1 }),
  MAX_ATTACHMENT_BYTES: env.int({ default: 25 * 1024 * 1024, min: 1 }),
  MAX_ATTACHMENTS: env.int({ default: 10, min: 0 }),
};

export type ConversationsConfig = Config<typeof conversationsEnv>;

export function readConversationsConfig(source: Record<string, string | undefined> = process.env): ConversationsConfig {
  return parseConfig(conversationsEnv, source);
}
