import { commonEnv, env, parseConfig, type Config } from '@switchboard/kit';

/** The port `npm start` and the supergraph use; MODELS_PORT moves it. */
export const PORT = 4005;

export const modelsEnv = {
  ...commonEnv,
  MODELS_PORT: env.port(PORT),
  /** Seed the demo data at start when running on its own (demo only). */
  SEED_DEMO: env.bool(false),
};

export type ModelsConfig = Config<typeof modelsEnv>;

export function readModelsConfig(source: Record<string, string | undefined> = process.env): ModelsConfig {
  return parseConfig(modelsEnv, source);
}
