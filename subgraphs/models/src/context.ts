import type { EntityManager, Identity } from '@switchboard/kit';
import type { ModelsConfig } from './env';
import type { KeyRing } from './llm/crypto';
import type { LlmGateway } from './llm/gateway';

/** What every resolver of the models subgraph gets, fresh per request. */
export interface ModelsContext {
  identity: Identity;
  /** Bound to the caller's tenant: every query is filtered by it. */
  em: EntityManager;
  config: ModelsConfig;
  /** The process's LLM gateway (breakers, clients and metrics are shared by every request). */
  llm: LlmGateway;
  keys: KeyRing;
}
