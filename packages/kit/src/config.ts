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
   * A secret with a development default that is refused in production: a deployment that
   * forgets to set it fails at start instead of running with a published value.
   */
  secret(devDefault: string): Parser<string> {
    return parser('secret', (raw, name, source) => {
      if (!raw && source.NODE_ENV === 'production') return { error: `${name} must be set when NODE_ENV=production` };
      const value = raw || devDefault;
      if (value.length < 16) return { error: `${name} must be at least 16 characters` };
      return { value };
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
  int(options: { default: number; min?: number; max?: number }): Parser<number> {
    return parser('int', (raw, name) => {
      const value = raw === undefined || raw === '' ? options.default : Number(raw);
      if (!Number.isInteger(value)) return { error: `${name} must be an integer, got "${raw}"` };
      if (options.min !== undefined && value < options.min) return { error: `${name} must be ≥ ${options.min}` };
      if (options.max !== undefined && value > options.max) return { error: `${name} must be ≤ ${options.max}` };
      return { value };
    });
  },
  bool(defaultValue: boolean): Parser<boolean> {
    return parser('bool', (raw, name) => {
      if (raw === undefined || raw === '') return { value: defaultValue };
      if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return { value: true };
      if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return { value: false };
      return { error: `${name} must be true or false, got "${raw}"` };
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

/** Variables every service reads. Subgraphs spread this into their own spec. */
export const commonEnv = {
  NODE_ENV: env.oneOf(['development', 'production', 'test'], 'development'),
  LOG_LEVEL: env.oneOf(['debug', 'info', 'warn', 'error', 'silent'], 'info'),
  /** HMAC secret shared by the gateway and every subgraph for the identity header. */
  INTERNAL_SECRET: env.secret('switchboard-dev-internal-secret-change-me'),
  DATABASE_URL: env.optionalUrl({ protocols: ['postgres', 'postgresql'] }),
  REDIS_URL: env.optionalUrl({ protocols: ['redis', 'rediss'] }),
  OTEL_EXPORTER_OTLP_ENDPOINT: env.optionalUrl({ protocols: ['http', 'https'] }),
  /** The Redis stream domain events go through (tests use their own). */
  EVENT_STREAM: env.string({ default: 'switchboard:events' }),
  /** Prepended to every Postgres schema name (tests use it to isolate files). */
  DB_SCHEMA_PREFIX: env.optionalString(),
  /** Bearer token a Prometheus scraper sends for `/metrics`; unset: `/metrics` answers only connections from this host. */
  METRICS_TOKEN: env.optionalString(),
};
