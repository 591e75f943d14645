import { commonEnv, env, parseConfig, type Config } from '@switchboard/kit';

/** The port `npm start` and the supergraph use; SAMPLE_PORT moves it. */
export const PORT = 4999;

export const sampleEnv = {
  ...commonEnv,
  SAMPLE_PORT: env.port(PORT),
  /** Seed the demo data at start when running on its own (demo only). */
  SEED_DEMO: env.bool(false),
};

export type SampleConfig = Config<typeof sampleEnv>;

export function readSampleConfig(source: Record<string, string | undefined> = process.env): SampleConfig {
  return parseConfig(sampleEnv, source);
}
