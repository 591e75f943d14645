import { commonEnv, env, parseConfig, type Config } from '@switchboard/kit';

/** The port `npm start` and the supergraph use; INTEGRATIONS_PORT moves it. */
export const PORT = 4006;

export const integrationsEnv = {
  ...commonEnv,
  INTEGRATIONS_PORT: env.port(PORT),
  /** Seed the demo data at start when running on its own (demo only). */
  SEED_DEMO: env.bool(false),
};

export type IntegrationsConfig = Config<typeof integrationsEnv>;

export function readIntegrationsConfig(source: Record<string, string | undefined> = process.env): IntegrationsConfig {
  return parseConfig(integrationsEnv, source);
}
