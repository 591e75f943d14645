import { startSubgraph, type RunningSubgraph, type SubgraphDeps } from '@switchboard/kit';
import type { ModelsContext } from './context';
import type { ModelsConfig } from './env';
import { internalRoutes } from './internal';
import { keyRing } from './llm/crypto';
import { LlmGateway } from './llm/gateway';
import { warmTokenizer } from './llm/tokens';
import { migrations } from './migrations';
import { ModelRow, ProviderRow, RoutingPolicyRow } from './modules/catalog/entities';
import { modelsSchema } from './schema';

export const entities = [ProviderRow, ModelRow, RoutingPolicyRow];
export { migrations };

export type ModelsApp = RunningSubgraph & { llm: LlmGateway };

/** Tests move the breakers' clock (the stack passes its `clock`). */
export type ModelsDeps = SubgraphDeps & { clock?: () => Date };

/** The models subgraph: database (migrated), schema, the LLM gateway, HTTP server. What main and tests both use. */
export async function bootstrap(config: ModelsConfig & { DATABASE_URL: string }, deps: ModelsDeps = {}): Promise<ModelsApp> {
  const keys = keyRing(config.PROVIDER_KEY_ENCRYPTION_KEY, config.PROVIDER_KEY_ENCRYPTION_KEY_PREVIOUS);
  warmTokenizer(); // before the server listens: the first request must not load the ranks
  let llm: LlmGateway | undefined;
  const gateway = (): LlmGateway => llm!;
  const app = await startSubgraph<ModelsContext>({
    name: 'models',
    config,
    port: config.MODELS_PORT,
    deps,
    entities,
    migrations,
    schema: modelsSchema,
    background: (runtime) => {
      llm = new LlmGateway({
        orm: runtime.orm,
        redis: runtime.redis,
        metrics: runtime.metrics,
        log: runtime.log,
        keys,
        platformProviders: config.MODELS_PLATFORM_PROVIDERS,
        breakerFailures: config.MODELS_BREAKER_FAILURES,
        breakerCooldownMs: config.MODELS_BREAKER_COOLDOWN_MS,
        deadlineMs: config.MODELS_REQUEST_DEADLINE_MS,
        defaultMaxTokens: config.MODELS_DEFAULT_MAX_TOKENS,
        now: deps.clock ? () => deps.clock!().getTime() : Date.now,
      });
      // Stopped before the ORM closes: pending usage rows and settlements are written first.
      return [() => llm!.drain()];
    },
    context: (identity, em) => ({ identity, em, config, llm: gateway(), keys }),
    routes: (express, runtime) => internalRoutes(express, gateway(), runtime.log),
  });
  return Object.assign(app, { llm: gateway() });
}

export { modelsEnv, readModelsConfig, type ModelsConfig } from './env';
export { modelsSchema } from './schema';
export { rotateProviderKeys } from './rotate-keys';
