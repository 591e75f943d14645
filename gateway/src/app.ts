import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import {
  createHttpApp,
  createLogger,
  createMetrics,
  currentScope,
  formatErrorFor,
  headerValue,
  observabilityPlugin,
  startTelemetry,
  type Logger,
} from '@switchboard/kit';
import express from 'express';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAuthenticator } from './authenticate';
import type { GatewayContext } from './context';
import { SubgraphDataSource } from './data-source';
import { subgraphUrlOverrides, type GatewayConfig } from './env';
import { anonymousOnlyLogin } from './plugins';

export interface GatewayApp {
  url: string;
  port: number;
  httpServer: http.Server;
  close(): Promise<void>;
}

/** Request bodies larger than this are refused with 413 before anything parses them. */
export const MAX_BODY = '256kb';

/** The gateway: the precomposed supergraph, authentication, signed identity to subgraphs. */
export async function bootstrap(config: GatewayConfig, logger?: Logger): Promise<GatewayApp> {
  const log = logger ?? createLogger({ service: 'gateway' }, config.LOG_LEVEL);
  const stopTelemetry = await startTelemetry('gateway', config.OTEL_EXPORTER_OTLP_ENDPOINT);
  const overrides = subgraphUrlOverrides(config);
  const supergraphSdl = readFileSync(config.SUPERGRAPH_PATH, 'utf8');
  const urls = new Map<string, string>();

  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) => {
      const target = overrides[name as keyof typeof overrides] ?? url;
      if (!target) throw new Error(`No URL for subgraph ${name}: set ${name.toUpperCase()}_URL`);
      urls.set(name, target);
      return new SubgraphDataSource(name, target, config.INTERNAL_SECRET, config.SUBGRAPH_TIMEOUT_MS);
    },
  });

  const metrics = createMetrics('gateway');
  const app = createHttpApp({ service: 'gateway', metrics });
  const httpServer = http.createServer(app);
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false, // shutdown is ours: onShutdown / the launcher stop everything in order
    formatError: formatErrorFor(log),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      observabilityPlugin(metrics, log),
      anonymousOnlyLogin(),
    ],
  });
  await apollo.start();

  const authenticator = createAuthenticator({
    jwtSecret: config.JWT_SECRET,
    internalSecret: config.INTERNAL_SECRET,
    tenantsUrl: () => overrides.tenants ?? urls.get('tenants') ?? 'http://127.0.0.1:4001/graphql',
    timeoutMs: config.SUBGRAPH_TIMEOUT_MS,
  });

  app.use(
    '/graphql',
    express.json({ limit: MAX_BODY }),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const scope = currentScope()!;
        const identity = await authenticator.authenticate({
          authorization: headerValue(req, 'authorization'),
          apiKey: headerValue(req, 'x-api-key'),
        });
        scope.identity = identity;
        return { identity, trace: scope.trace, requestId: scope.requestId };
      },
    }),
  );

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.GATEWAY_PORT, config.HOST, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/graphql`;
  log.info('gateway ready', { url });
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    httpServer,
    close: () =>
      (closing ??= (async () => {
        await apollo.stop();
        await stopTelemetry();
      })()),
  };
}
export { gatewayEnv, readGatewayConfig, type GatewayConfig } from './env';
