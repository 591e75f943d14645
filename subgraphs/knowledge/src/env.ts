import { commonEnv, env, parseConfig, type Config } from '@switchboard/kit';

/** The port `npm start` and the supergraph use; KNOWLEDGE_PORT moves it. */
export const PORT = 4004;

export const knowledgeEnv = {
  ...commonEnv,
  KNOWLEDGE_PORT: env.port(PORT),
  /** Seed the demo data at start when running on its own (demo only). */
  SEED_DEMO: env.bool(false),
};

export type KnowledgeConfig = Config<typeof knowledgeEnv>;

export function readKnowledgeConfig(source: Record<string, string | undefined> = process.env): KnowledgeConfig {
  return parseConfig(knowledgeEnv, source);
}
