import { callSubgraph, modelsClient, type ModelsClient } from '@switchboard/kit';
import type { AssistantsConfig } from './env';

/**
 * How the assistant reaches the rest of the platform, always as a `service` of the tenant it
 * works for: conversations (read the transcript, post BOT messages, hand off — its normal
 * write path, so live subscribers and events see it like any message), knowledge (the
 * tenant's published articles), tickets (triage writes) and models (every model call).
 */
export interface Platform {
  conversations<T>(tenantId: string, query: string, variables?: Record<string, unknown>): Promise<T>;
  knowledge<T>(tenantId: string, query: string, variables?: Record<string, unknown>): Promise<T>;
  tickets<T>(tenantId: string, query: string, variables?: Record<string, unknown>): Promise<T>;
  models: ModelsClient;
}

export function platform(config: AssistantsConfig): Platform {
  const caller = { service: 'assistants', internalSecret: config.INTERNAL_SECRET, timeoutMs: config.ASSISTANT_CALL_TIMEOUT_MS };
  const call =
    (name: string, url: string, scopes: string[]) =>
    <T>(tenantId: string, query: string, variables?: Record<string, unknown>) =>
      callSubgraph<T>(caller, { name, url }, { tenantId, scopes, query, variables });
  return {
    conversations: call('conversations', config.CONVERSATIONS_URL, ['conversations:read', 'conversations:write']),
    knowledge: call('knowledge', config.KNOWLEDGE_URL, ['knowledge:read']),
    tickets: call('tickets', config.TICKETS_URL, ['tickets:read', 'tickets:write']),
    models: modelsClient({ url: config.MODELS_URL, secret: config.INTERNAL_SECRET, assistant: 'assistant', timeoutMs: config.ASSISTANT_CALL_TIMEOUT_MS }),
  };
}
