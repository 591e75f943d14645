/**
 * Typed, fail-fast configuration. A service declares its variables once; `loadConfig`
 * reads them, collects *every* problem, prints them together and exits. Nothing else in a
 * service reads `process.env`.
 */

type Parser<T> = {
  parse(raw: string | undefined, name: string, source: Record<string, string | undefined>): { value?: T; error?: string };
  describe: string;
};

function parser<T>(describe: string, parse: Parser<T>['parse']): Parser<T> {
  return { describe, parse };
}

export const env = {
  string(options: { default?: string; minLength?: number } = {}): Parser<string> {
    return parser('string', (raw, name) => {
      const value = raw ?? options.default;
      if (value === undefined || value === '') return { error: `${name} is required` };
      if (options.minLength && value.length < options.minLength) {
        return { error: `${name} must be at least ${options.minLength} characters` };
      }
      return { value };
    });
  },
  /**
   * A secret with a published development default that is used only in demo mode
   * (`npm start`, `DEMO=true` or `SEED_DEMO=true`) and never with NODE_ENV=production.
   * Anywhere else a service refuses to start without a real value, naming the variable:
   * a deployment that forgets it fails at start instead of accepting tokens anyone can mint.
   */
  secret(devDefault: string): Parser<string> {
    return parser('secret', (raw, name, source) => {
      const production = source.NODE_ENV === 'production';
      if (!raw) {
        if (production) return { error: `${name} must be set when NODE_ENV=production` };
        if (!isDemo(source)) {
          return {
            error: `${name} is required: set it to a random value of at least 16 characters (e.g. \`openssl rand -hex 32\`); the published development value is used only in demo mode (npm start, DEMO=true or SEED_DEMO=true)`,
          };
        }
        return { value: devDefault };
      }
      if (raw === devDefault && (production || !isDemo(source))) {
        return { error: `${name} is the published development value: set a secret of your own (it is accepted only in demo mode, never in production)` };
      }
      if (raw.length < 16) return { error: `${name} must be at least 16 characters` };
      return { value: raw };
    });
  },
  optionalString(): Parser<string | undefined> {
    return parser('string?', (raw) => ({ value: raw === '' ? undefined : raw }));
  },
  url(options: { default?: string; protocols?: string[] } = {}): Parser<string> {
    return parser('url', (raw, name) => {
      const value = raw ?? options.default;
      if (!value) return { error: `${name} is required` };
      try {
        const u = new URL(value);
        if (options.protocols && !options.protocols.includes(u.protocol.replace(/:$/, ''))) {
          return { error: `${name} must use ${options.protocols.join(' or ')}, got ${u.protocol}` };
        }
      } catch {
        return { error: `${name} is not a valid URL` };
      }
      return { value };
    });
  },
  optionalUrl(options: { protocols?: string[] } = {}): Parser<string | undefined> {
    const inner = env.url(options);
    return parser('url?', (raw, name, source) => (raw ? inner.parse(raw, name, source) : { value: undefined }));
  },
  port(defaultPort: number): Parser<number> {
    return parser('port', (raw, name) => {
      const value = raw === undefined || raw === '' ? defaultPort : Number(raw);
      if (!Number.isInteger(value) || value < 0 || value > 65535) {
        return { error: `${name} must be a port number (0-65535), got "${raw}"` };
      }
      return { value };
    });
  },
  int(options: { default: number; min?: number; max?: number; powerOfTwo?: boolean; productionMin?: number }): Parser<number> {
    return parser('int', (raw, name, source) => {
      const value = raw === undefined || raw === '' ? options.default : Number(raw);
      if (!Number.isInteger(value)) return { error: `${name} must be an integer, got "${raw}"` };
      if (options.min !== undefined && value < options.min) return { error: `${name} must be ≥ ${options.min}` };
      if (options.max !== undefined && value > options.max) return { error: `${name} must be ≤ ${options.max}` };
      if (options.powerOfTwo && (value & (value - 1)) !== 0) return { error: `${name} must be a power of two, got ${value}` };
      if (options.productionMin !== undefined && source.NODE_ENV === 'production' && value < options.productionMin) {
        return { error: `${name} must be ≥ ${options.productionMin} when NODE_ENV=production` };
      }
      return { value };
    });
  },
  /** A finite decimal number (e.g. a 0–1 threshold). */
  number(options: { default: number; min?: number; max?: number }): Parser<number> {
    return parser('number', (raw, name) => {
      const value = raw === undefined || raw === '' ? options.default : Number(raw);
      if (!Number.isFinite(value)) return { error: `${name} must be a number, got "${raw}"` };
      if (options.min !== undefined && value < options.min) return { error: `${name} must be ≥ ${options.min}` };
      if (options.max !== undefined && value > options.max) return { error: `${name} must be ≤ ${options.max}` };
      return { value };
    });
  },
  /** `production`: the only value accepted when NODE_ENV=production (a safety that must stay on). */
  bool(defaultValue: boolean, options: { production?: boolean } = {}): Parser<boolean> {
    return parser('bool', (raw, name, source) => {
      let value: boolean;
      if (raw === undefined || raw === '') value = defaultValue;
      else if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) value = true;
      else if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) value = false;
      else return { error: `${name} must be true or false, got "${raw}"` };
      if (options.production !== undefined && source.NODE_ENV === 'production' && value !== options.production) {
        return { error: `${name} must be ${options.production} when NODE_ENV=production` };
      }
      return { value };
    });
  },
  oneOf<const T extends string>(values: readonly T[], defaultValue: T): Parser<T> {
    return parser('enum', (raw, name) => {
      const value = (raw === undefined || raw === '' ? defaultValue : raw) as T;
      if (!values.includes(value)) return { error: `${name} must be one of ${values.join(', ')}, got "${raw}"` };
      return { value };
    });
  },
};

export type Spec = Record<string, Parser<unknown>>;
export type Config<S extends Spec> = { [K in keyof S]: S[K] extends Parser<infer T> ? T : never };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Parses `source` against `spec`; throws a ConfigError listing every problem. */
export function parseConfig<S extends Spec>(spec: S, source: Record<string, string | undefined>): Config<S> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(spec)) {
    const { value, error } = p.parse(source[name], name, source);
    if (error) problems.push(error);
    else out[name] = value;
  }
  if (problems.length) throw new ConfigError(problems);
  return out as Config<S>;
}

/** For `main.ts`: parse `process.env`, or print every problem and exit with status 1. */
export function loadConfig<S extends Spec>(spec: S, source: Record<string, string | undefined> = process.env): Config<S> {
  try {
    return parseConfig(spec, source);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

const TRUE = ['1', 'true', 'yes', 'on'];

/**
 * Demo mode: `npm start` (the launcher sets DEMO=true), or DEMO=true / SEED_DEMO=true set
 * by hand. Only then do secrets fall back to their published development values.
 */
export function isDemo(source: Record<string, string | undefined>): boolean {
  return [source.DEMO, source.SEED_DEMO].some((v) => v !== undefined && TRUE.includes(v.toLowerCase()));
}

/** Variables every service reads. Subgraphs spread this into their own spec. */
export const commonEnv = {
  NODE_ENV: env.oneOf(['development', 'production', 'test'], 'development'),
  /** Demo mode (`npm start` sets it): published development secrets are accepted. */
  DEMO: env.bool(false),
  /** The interface to listen on: loopback unless told otherwise (containers set 0.0.0.0). */
  HOST: env.string({ default: '127.0.0.1' }),
  LOG_LEVEL: env.oneOf(['debug', 'info', 'warn', 'error', 'silent'], 'info'),
  /** HMAC secret shared by the gateway and every subgraph for the identity header. */
  INTERNAL_SECRET: env.secret('switchboard-dev-internal-secret-change-me'),
  /** While INTERNAL_SECRET is rotated: the old value, still accepted on incoming identity headers (never used to sign). */
  INTERNAL_SECRET_PREVIOUS: env.optionalString(),
  /**
   * Subgraphs accept each signed identity header once (a replay is refused). Only a
   * benchmark that sends one static header again and again turns this off; production cannot.
   */
  IDENTITY_REPLAY_CHECK: env.bool(true, { production: true }),
  DATABASE_URL: env.optionalUrl({ protocols: ['postgres', 'postgresql'] }),
  REDIS_URL: env.optionalUrl({ protocols: ['redis', 'rediss', 'redis+sentinel'] }),
  OTEL_EXPORTER_OTLP_ENDPOINT: env.optionalUrl({ protocols: ['http', 'https'] }),
  /** The Redis stream domain events go through (tests use their own). */
  EVENT_STREAM: env.string({ default: 'switchboard:events' }),
  /** Prepended to every Postgres schema name (tests use it to isolate files). */
  DB_SCHEMA_PREFIX: env.optionalString(),
  /** Bearer token a Prometheus scraper sends for `/metrics`; unset: `/metrics` answers only connections from this host. */
  METRICS_TOKEN: env.optionalString(),
};
