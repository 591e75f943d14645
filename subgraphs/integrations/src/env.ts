import { commonEnv, env, isDemo, parseConfig, type Config } from '@switchboard/kit';

/** The port `npm start` and the supergraph use; INTEGRATIONS_PORT moves it. */
export const PORT = 4006;

/** A true/false variable whose default is "on in demo mode (npm start), off elsewhere". */
function demoBool(): { describe: string; parse: (raw: string | undefined, name: string, source: Record<string, string | undefined>) => { value?: boolean; error?: string } } {
  const inner = env.bool(false);
  return {
    describe: 'bool',
    parse: (raw, name, source) => (raw === undefined || raw === '' ? { value: isDemo(source) } : inner.parse(raw, name, source)),
  };
}

export const integrationsEnv = {
  ...commonEnv,
  INTEGRATIONS_PORT: env.port(PORT),
  /** Seed the demo data at start when running on its own (demo only). */
  SEED_DEMO: env.bool(false),
  /** Webhook URLs may be http:// (default: only in demo mode; https elsewhere). */
  WEBHOOK_ALLOW_HTTP: demoBool(),
  /** Webhook URLs may resolve to private, loopback or link-local addresses (default: only in demo mode). Metadata addresses never. */
  WEBHOOK_ALLOW_PRIVATE_URLS: demoBool(),
  /** First retry delay; attempt n waits base · 2^(n-1), with jitter, at most an hour. */
  WEBHOOK_RETRY_BASE_MS: env.int({ default: 5_000, min: 1 }),
  /** How long a delivery is retried before it is FAILED (default 24 h). */
  WEBHOOK_RETRY_WINDOW_SECONDS: env.int({ default: 86_400, min: 1 }),
  /** Consecutive failed attempts after which an endpoint is PAUSED. */
  WEBHOOK_PAUSE_AFTER_FAILURES: env.int({ default: 20, min: 1 }),
  /** One attempt's time limit (connect, send, answer). */
  WEBHOOK_TIMEOUT_MS: env.int({ default: 10_000, min: 1 }),
  /** How often the dispatcher looks for due deliveries (new events wake it at once). */
  WEBHOOK_POLL_MS: env.int({ default: 1_000, min: 1 }),
  /** Key for endpoint secrets at rest (AES-256-GCM); unset: derived from INTERNAL_SECRET. */
  WEBHOOK_ENCRYPTION_KEY: env.optionalString(),
  /** The conversations subgraph, which inbound channel messages are written to. */
  CONVERSATIONS_URL: env.url({ default: 'http://127.0.0.1:4002/graphql', protocols: ['http', 'https'] }),
  /** The gateway's public address: the start of every connector's `inboundUrl`. */
  INBOUND_BASE_URL: env.url({ default: 'http://localhost:4000', protocols: ['http', 'https'] }),
  /** Where replies go: the WhatsApp Cloud API (Graph API) and the Slack Web API (tests: local fakes). */
  WHATSAPP_API_BASE_URL: env.url({ default: 'https://graph.facebook.com', protocols: ['http', 'https'] }),
  SLACK_API_BASE_URL: env.url({ default: 'https://slack.com', protocols: ['http', 'https'] }),
  /** The HubSpot API that CRM connectors sync contacts with (tests: a local fake). The operator's, never a tenant's input. */
  HUBSPOT_API_BASE_URL: env.url({ default: 'https://api.hubapi.com', protocols: ['http', 'https'] }),
  /** How often each CRM connector pulls the CRM's contact changes (pushes follow our events at once). */
  CRM_SYNC_INTERVAL_MS: env.int({ default: 60_000, min: 10 }),
  /** The supergraph that webhook selections are checked against and planned with. */
  SUPERGRAPH_PATH: env.string({ default: 'schema/supergraph.graphql' }),
  /** Where selections are resolved (default: the supergraph's URLs); CONVERSATIONS_URL above too. */
  TENANTS_URL: env.optionalUrl({ protocols: ['http', 'https'] }),
  TICKETS_URL: env.optionalUrl({ protocols: ['http', 'https'] }),
};

export type IntegrationsConfig = Config<typeof integrationsEnv>;

export function readIntegrationsConfig(source: Record<string, string | undefined> = process.env): IntegrationsConfig {
  return parseConfig(integrationsEnv, source);
}
