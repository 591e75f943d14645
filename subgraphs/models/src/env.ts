import { commonEnv, env, isDemo, parseConfig, type Config } from '@switchboard/kit';

/** The port `npm start` and the supergraph use; MODELS_PORT moves it. */
export const PORT = 4005;

/** On when set true; unset: on in demo mode (`npm start`) only. */
const allowPrivateUrls = {
  describe: 'bool',
  parse(raw: string | undefined, name: string, source: Record<string, string | undefined>): { value?: boolean; error?: string } {
    if (raw === undefined || raw === '') return { value: isDemo(source) && source.NODE_ENV !== 'production' };
    if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return { value: true };
    if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return { value: false };
    return { error: `${name} must be true or false, got "${raw}"` };
  },
};

export const modelsEnv = {
  ...commonEnv,
  MODELS_PORT: env.port(PORT),
  /** Seed the demo data at start when running on its own (demo only). */
  SEED_DEMO: env.bool(false),
  /** AES-256-GCM key sealing provider API keys at rest (64 hex digits, or any secret ≥ 16 characters, hashed). */
  PROVIDER_KEY_ENCRYPTION_KEY: env.secret('switchboard-dev-provider-key-change-me'),
  /** Keys being rotated out, comma-separated: still decrypt, never encrypt (see `rotate-keys`). */
  PROVIDER_KEY_ENCRYPTION_KEY_PREVIOUS: env.optionalString(),
  /** Tenants' provider base URLs may reach private, loopback and link-local addresses (default: only in demo mode). */
  PROVIDER_ALLOW_PRIVATE_URLS: allowPrivateUrls,
  /** Operator (platform) providers every tenant may use, as JSON (see docs/api.md); the built-in LOCAL one is always there. */
  MODELS_PLATFORM_PROVIDERS: env.optionalString(),
  /** Consecutive failures that open a model's circuit breaker. */
  MODELS_BREAKER_FAILURES: env.int({ default: 3, min: 1, max: 100 }),
  /** How long an open breaker skips its model before one probe call (ms). */
  MODELS_BREAKER_COOLDOWN_MS: env.int({ default: 30_000, min: 0, max: 3_600_000 }),
  /** The whole `complete` call's time budget across fallbacks and Retry-After waits (ms). */
  MODELS_REQUEST_DEADLINE_MS: env.int({ default: 30_000, min: 100, max: 600_000 }),
  /** maxTokens when a request gives none (what the budget reserves for the answer). */
  MODELS_DEFAULT_MAX_TOKENS: env.int({ default: 512, min: 1, max: 32_768 }),
};

export type ModelsConfig = Config<typeof modelsEnv>;

export function readModelsConfig(source: Record<string, string | undefined> = process.env): ModelsConfig {
  return parseConfig(modelsEnv, source);
}
