import { defineSubgraph } from '@switchboard/kit';
import { bootstrap } from './app';
import { PORT, modelsEnv } from './env';
import { modelsSchema } from './schema';

/**
 * The models subgraph, as the registry knows it (packages/kit/src/registry.ts): composition,
 * `npm start`, the test stack, the benchmarks and the deployment files all read it from here.
 */
export const subgraph = defineSubgraph({
  name: 'models',
  description: 'the LLM gateway: providers, routing with fallback and circuit breakers, response cache, budgets, PII masking, usage',
  port: PORT,
  env: modelsEnv,
  schema: modelsSchema,
  bootstrap: (config, deps) => bootstrap(config, deps),
  dependsOn: ['tenants'],
  // Tests start their own OpenAI-compatible server on 127.0.0.1.
  testEnv: { PROVIDER_KEY_ENCRYPTION_KEY: 'models-test-provider-key-encryption', PROVIDER_ALLOW_PRIVATE_URLS: 'true' },
  // The compose stack's key, for local use only, like its other secrets (Kubernetes takes it from the secret, never inline).
  deploy: { needs: ['postgres', 'redis'], secrets: ['PROVIDER_KEY_ENCRYPTION_KEY'], internet: true, env: { PROVIDER_KEY_ENCRYPTION_KEY: 'compose-provider-key-encryption-change-me' } },
});
