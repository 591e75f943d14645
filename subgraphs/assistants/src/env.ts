import { commonEnv, env, parseConfig, type Config } from '@switchboard/kit';

/** The port `npm start` and the supergraph use; ASSISTANTS_PORT moves it. */
export const PORT = 4008;

export const assistantsEnv = {
  ...commonEnv,
  ASSISTANTS_PORT: env.port(PORT),
  /** Seed the demo data at start when running on its own (demo only). */
  SEED_DEMO: env.bool(false),
  /** The subgraphs the assistant reads from and writes through (their own GraphQL APIs, as a service of the tenant). */
  CONVERSATIONS_URL: env.url({ default: 'http://127.0.0.1:4002/graphql', protocols: ['http', 'https'] }),
  TICKETS_URL: env.url({ default: 'http://127.0.0.1:4003/graphql', protocols: ['http', 'https'] }),
  KNOWLEDGE_URL: env.url({ default: 'http://127.0.0.1:4004/graphql', protocols: ['http', 'https'] }),
  MODELS_URL: env.url({ default: 'http://127.0.0.1:4005/graphql', protocols: ['http', 'https'] }),
  /** How many of the latest messages go into the assistant's prompt (and the suggestions for agents). */
  ASSISTANT_TRANSCRIPT_MESSAGES: env.int({ default: 8, min: 1 }),
  /** How many knowledge chunks the answer is built from. */
  ASSISTANT_RETRIEVAL_HITS: env.int({ default: 3, min: 1 }),
  /** Customer messages answered at once by one process (each conversation's still one after another, in order). */
  ASSISTANT_ANSWER_CONCURRENCY: env.int({ default: 8, min: 1 }),
  /** Time limit of one call to another subgraph (ms). */
  ASSISTANT_CALL_TIMEOUT_MS: env.int({ default: 30_000, min: 1 }),
  /** Ticket auto-triage: below this classifier confidence (0–1) the routed model is asked instead. */
  TRIAGE_MIN_CONFIDENCE: env.number({ default: 0.6, min: 0, max: 1 }),
  /** Retrain a tenant's triage classifier once this many new labelled tickets exist. */
  TRIAGE_RETRAIN_EVERY: env.int({ default: 20, min: 1 }),
};

export type AssistantsConfig = Config<typeof assistantsEnv>;

export function readAssistantsConfig(source: Record<string, string | undefined> = process.env): AssistantsConfig {
  return parseConfig(assistantsEnv, source);
}
