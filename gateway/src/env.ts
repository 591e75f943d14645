import { commonEnv, env, parseConfig, type Config } from '@switchboard/kit';
import path from 'node:path';

export const SUBGRAPH_NAMES = ['tenants', 'conversations', 'tickets', 'knowledge', 'models', 'integrations', 'analytics'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

export const gatewayEnv = {
  ...commonEnv,
  GATEWAY_PORT: env.port(4000),
  HOST: env.string({ default: '0.0.0.0' }),
  JWT_SECRET: env.secret('switchboard-dev-jwt-secret-change-me'),
  SUPERGRAPH_PATH: env.string({ default: path.resolve(__dirname, '../../schema/supergraph.graphql') }),
  /** Milliseconds before a subgraph fetch is abandoned with UPSTREAM_UNAVAILABLE. */
  SUBGRAPH_TIMEOUT_MS: env.int({ default: 10_000, min: 100 }),
  /** Overrides of the subgraph URLs recorded in the supergraph. */
  TENANTS_URL: env.optionalUrl({ protocols: ['http', 'https'] }),
  CONVERSATIONS_URL: env.optionalUrl({ protocols: ['http', 'https'] }),
  TICKETS_URL: env.optionalUrl({ protocols: ['http', 'https'] }),
  KNOWLEDGE_URL: env.optionalUrl({ protocols: ['http', 'https'] }),
  MODELS_URL: env.optionalUrl({ protocols: ['http', 'https'] }),
  INTEGRATIONS_URL: env.optionalUrl({ protocols: ['http', 'https'] }),
  ANALYTICS_URL: env.optionalUrl({ protocols: ['http', 'https'] }),
};

export type GatewayConfig = Config<typeof gatewayEnv>;

export function readGatewayConfig(source: Record<string, string | undefined> = process.env): GatewayConfig {
  return parseConfig(gatewayEnv, source);
}

/** The URL overrides from the config, by subgraph name. */
export function subgraphUrlOverrides(config: GatewayConfig): Partial<Record<SubgraphName, string>> {
  const out: Partial<Record<SubgraphName, string>> = {};
  for (const name of SUBGRAPH_NAMES) {
    const url = config[`${name.toUpperCase()}_URL` as keyof GatewayConfig] as string | undefined;
    if (url) out[name] = url;
  }
  return out;
}
