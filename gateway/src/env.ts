import { commonEnv, ConfigError, env, parseConfig, type Config } from '@switchboard/kit';
import path from 'node:path';

/** A variable that may name where a subgraph runs: `<NAME>_URL`. */
const URL_VARIABLE = /^[A-Z][A-Z0-9_]*_URL$/;

/**
 * Every `<NAME>_URL` of the environment that is not one of the gateway's own variables
 * (DATABASE_URL, REDIS_URL, …), by variable name. Which of them count is decided by the
 * supergraph's own list of subgraphs (`subgraphUrlOverrides`), so a new subgraph needs no
 * entry here.
 */
const urlVariables = {
  describe: 'map of <NAME>_URL',
  parse(_raw: string | undefined, _name: string, source: Record<string, string | undefined>): { value?: Record<string, string>; error?: string } {
    const value: Record<string, string> = {};
    for (const [key, url] of Object.entries(source)) {
      if (URL_VARIABLE.test(key) && url && !(key in gatewayEnv)) value[key] = url;
    }
    return { value };
  },
};

export const gatewayEnv = {
  ...commonEnv,
  GATEWAY_PORT: env.port(4000),
  JWT_SECRET: env.secret('switchboard-dev-jwt-secret-change-me'),
  /** While JWT_SECRET is rotated: the old value, still accepted on tokens tenants signed with it. */
  JWT_SECRET_PREVIOUS: env.optionalString(),
  SUPERGRAPH_PATH: env.string({ default: path.resolve(__dirname, '../../schema/supergraph.graphql') }),
  /** Milliseconds before a subgraph fetch is abandoned with UPSTREAM_UNAVAILABLE. */
  SUBGRAPH_TIMEOUT_MS: env.int({ default: 10_000, min: 100 }),
  /** Overrides of the subgraph URLs recorded in the supergraph: `<NAME>_URL` for any subgraph in it (e.g. TICKETS_URL). */
  SUBGRAPH_URLS: urlVariables,

  // ---- the edge (docs/api.md) ----
  /** Operation limits, checked as validation rules (once per distinct document). */
  OPERATION_MAX_DEPTH: env.int({ default: 10, min: 1 }),
  OPERATION_MAX_ALIASES: env.int({ default: 15, min: 0 }),
  OPERATION_MAX_ROOT_FIELDS: env.int({ default: 20, min: 1 }),
  OPERATION_MAX_DIRECTIVES: env.int({ default: 50, min: 0 }),
  /** Lexical tokens per document (graphql's `parseOptions.maxTokens`): past it, GRAPHQL_PARSE_FAILED. */
  OPERATION_MAX_TOKENS: env.int({ default: 2_000, min: 10 }),
  /** Estimated cost: every field counts 1, list fields multiply what they select by `first`/`last`. */
  OPERATION_MAX_COST: env.int({ default: 10_000, min: 1 }),
  /** Items assumed for a list with no `first`/`last` (the API's default page size). */
  OPERATION_DEFAULT_LIST_SIZE: env.int({ default: 20, min: 1 }),
  /** The safelisted operations (`npm run codegen` writes it). */
  PERSISTED_DOCUMENTS_PATH: env.string({ default: path.resolve(__dirname, '../../schema/persisted-documents.json') }),
  /** How long an automatic persisted query stays registered. */
  APQ_TTL_SECONDS: env.int({ default: 86_400, min: 1 }),
  /** Prefix of every Redis key the gateway writes (APQ documents, rate-limit buckets). */
  REDIS_KEY_PREFIX: env.string({ default: 'gateway:' }),
  RATE_LIMIT_ENABLED: env.bool(true),
  /**
   * With Redis: the most requests a gateway takes from a bucket at once, to spend without a
   * round trip (1 % of the bucket's minute, at least 1, at most this; 1: a round trip per request).
   */
  RATE_LIMIT_LEASE_MAX: env.int({ default: 20, min: 1, max: 1000 }),
  /** How long a lease may be spent; unspent requests lapse. Also how late a block set by another replica may be seen. */
  RATE_LIMIT_LEASE_MS: env.int({ default: 1000, min: 1, max: 60_000 }),
  /** Seconds the gateway remembers who a credential is; invalidated on every change. 0 asks on every request. */
  PRINCIPAL_CACHE_SECONDS: env.int({ default: 30, min: 0, max: 3600 }),
  /** While tenants cannot be reached, a principal it confirmed this recently still authenticates (0: never). */
  PRINCIPAL_STALE_IF_ERROR_SECONDS: env.int({ default: 900, min: 0, max: 86_400 }),
  /** Share of its tenant's requestsPerMinute one API key may use, in percent. */
  RATE_LIMIT_API_KEY_SHARE: env.int({ default: 50, min: 1, max: 100 }),
  /** Requests per minute per client IP for anonymous callers (who may only log in). */
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: env.int({ default: 600, min: 1 }),
  /** APQ registrations (hash + new query) per minute per tenant (per IP when anonymous). */
  APQ_REGISTRATIONS_PER_MINUTE: env.int({ default: 100, min: 1 }),
  // ---- abuse protection (docs/api.md "Abuse protection") ----
  /** Failed authentications (bad token, unknown API key, failed login) per client IP per minute; past it, RATE_LIMITED before the tenants subgraph is asked. */
  AUTH_FAILURES_PER_IP_PER_MINUTE: env.int({ default: 30, min: 1 }),
  /** The per-account login throttle (backoff after failed logins). */
  LOGIN_THROTTLE_ENABLED: env.bool(true),
  /** Failed logins for one account that cost no wait. */
  LOGIN_FREE_FAILURES: env.int({ default: 5, min: 0, max: 100 }),
  /** The first wait after them; each further failure doubles it… */
  LOGIN_BACKOFF_BASE_SECONDS: env.int({ default: 1, min: 1 }),
  /** …up to this. */
  LOGIN_BACKOFF_MAX_SECONDS: env.int({ default: 900, min: 1 }),
  /** Failures are forgotten this long after the last one (and at once on a successful login). */
  LOGIN_FAILURE_RESET_SECONDS: env.int({ default: 3_600, min: 1 }),
  /** Scores clients (IP, API key, user) by their failures and blocks them past THREAT_THRESHOLD. */
  THREAT_DETECTION_ENABLED: env.bool(true),
  THREAT_THRESHOLD: env.int({ default: 100, min: 1 }),
  /** A score halves every this many seconds. */
  THREAT_HALF_LIFE_SECONDS: env.int({ default: 600, min: 1 }),
  /** How long a block lasts. */
  THREAT_BLOCK_SECONDS: env.int({ default: 900, min: 1 }),
  /** Points per signal (0 turns a signal off). */
  THREAT_POINTS_AUTH_FAILURE: env.int({ default: 2, min: 0 }),
  THREAT_POINTS_LOGIN_FAILURE: env.int({ default: 2, min: 0 }),
  THREAT_POINTS_OPERATION_LIMIT: env.int({ default: 5, min: 0 }),
  THREAT_POINTS_MALFORMED: env.int({ default: 2, min: 0 }),
  THREAT_POINTS_INJECTION: env.int({ default: 10, min: 0 }),
  THREAT_POINTS_RATE_LIMITED: env.int({ default: 1, min: 0 }),
  /** Largest document (UTF-8 bytes) an APQ registration may store. */
  APQ_MAX_DOCUMENT_BYTES: env.int({ default: 16_384, min: 256 }),
  /** APQ documents one tenant keeps registered at once; past it, its oldest are dropped. */
  APQ_MAX_PER_TENANT: env.int({ default: 1_000, min: 1 }),
  /** Client-chosen operation names (not in the safelist) that get their own metrics label; the rest count as `other`. */
  METRICS_MAX_OPERATION_LABELS: env.int({ default: 100, min: 0, max: 10_000 }),
  // ---- subscriptions (graphql-ws on /graphql; docs/api.md "Live updates") ----
  SUBSCRIPTIONS_ENABLED: env.bool(true),
  /** Results queued for one socket before it is closed with 1013 as too slow. */
  SUBSCRIPTION_QUEUE_LIMIT: env.int({ default: 100, min: 1 }),
  /** Seconds between re-checks of a connection's credentials (revoked, expired, changed → 4403); 0: never. */
  SUBSCRIPTION_REAUTH_SECONDS: env.int({ default: 60, min: 0, max: 3600 }),
  /** Largest WebSocket frame read, in bytes: a bigger one closes the socket with 1009 before it is read. */
  SUBSCRIPTION_MAX_PAYLOAD_BYTES: env.int({ default: 262_144, min: 1_024, max: 16_777_216 }),
  /** Subscriptions open at once on one socket; the next is refused with RATE_LIMITED. */
  SUBSCRIPTIONS_PER_SOCKET: env.int({ default: 50, min: 1 }),
  /** Sockets open at once per user or API key, per gateway replica; the next closes with 4429. */
  SUBSCRIPTION_SOCKETS_PER_PRINCIPAL: env.int({ default: 20, min: 1 }),
  /** Sockets open at once per client IP, per gateway replica; the next closes with 4429. */
  SUBSCRIPTION_SOCKETS_PER_IP: env.int({ default: 100, min: 1 }),
  /** Proxies in front of the gateway whose X-Forwarded-For to trust for the client IP (0: none). */
  TRUST_PROXY: env.int({ default: 0, min: 0, max: 10 }),
};

export type GatewayConfig = Config<typeof gatewayEnv>;

export function readGatewayConfig(source: Record<string, string | undefined> = process.env): GatewayConfig {
  return parseConfig(gatewayEnv, source);
}

/** The subgraph names of a supergraph, as composition recorded them (`@join__graph(name: …)`). */
export function supergraphSubgraphNames(supergraphSdl: string): string[] {
  return [...supergraphSdl.matchAll(/@join__graph\(name: "([^"]+)"/g)].map((m) => m[1]!);
}

/** `live-chat` → `LIVE_CHAT_URL`. */
export const subgraphUrlVariable = (name: string) => `${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL`;

/**
 * The URL overrides from the config, by subgraph name: `<NAME>_URL` for each of `names` (the
 * supergraph's subgraphs) that is set. Throws naming the variable when one is not an
 * http(s) URL.
 */
export function subgraphUrlOverrides(config: GatewayConfig, names: Iterable<string>): Record<string, string> {
  const out: Record<string, string> = {};
  const problems: string[] = [];
  for (const name of new Set(names)) {
    const variable = subgraphUrlVariable(name);
    const url = config.SUBGRAPH_URLS?.[variable];
    if (!url) continue;
    const checked = env.optionalUrl({ protocols: ['http', 'https'] }).parse(url, variable, {});
    if (checked.error) problems.push(checked.error);
    else out[name] = url;
  }
  if (problems.length) throw new ConfigError(problems);
  return out;
}
