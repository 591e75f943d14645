import { startSubgraph, type RunningSubgraph, type SubgraphDeps } from '@switchboard/kit';
import { platform, type Platform } from './clients';
import type { AssistantsContext } from './context';
import type { AssistantsConfig } from './env';
import { createLoaders } from './loaders';
import { migrations } from './migrations';
import { onCustomerMessage } from './modules/answering/answer';
import { consumeOutcomes } from './modules/answering/outcomes';
import { entities } from './modules/assistants/entities';
import { consumeTriage } from './modules/triage/triage';
import { assistantsSchema } from './schema';

export { entities, migrations };

export const ANSWER_GROUP = 'assistants-answers';

export type AssistantsApp = RunningSubgraph;

export interface AssistantsDeps extends SubgraphDeps {
  /** The platform the assistant calls (tests may wrap it to count or fail calls). */
  platform?: Platform;
}

/**
 * The assistants subgraph: assistants and their versions; the answering loop on customer
 * messages (`message.sent`), conversation outcomes for the versions' stats, and ticket
 * triage (`ticket.created`), each its own consumer group.
 */
export async function bootstrap(config: AssistantsConfig & { DATABASE_URL: string }, deps: AssistantsDeps = {}): Promise<AssistantsApp> {
  const calls = deps.platform ?? platform(config);
  return startSubgraph<AssistantsContext>({
    name: 'assistants',
    config,
    port: config.ASSISTANTS_PORT,
    deps,
    entities,
    migrations,
    schema: assistantsSchema,
    background: ({ orm, events, log }) => [
      // Answers call other subgraphs and a model; each event is retried with backoff, and posts once (its idempotency key).
      // Several conversations are answered at once; one conversation's messages in the order they were sent.
      events.consume(ANSWER_GROUP, ['message.sent'], (event) => onCustomerMessage({ orm, platform: calls, config, log }, event), {
        maxAttempts: 5,
        concurrency: config.ASSISTANT_ANSWER_CONCURRENCY,
        orderKey: (event) => (event.data as { conversationId?: string }).conversationId,
      }),
      consumeOutcomes(orm, events),
      consumeTriage({ orm, platform: calls, config, log }, events),
    ],
    context: (identity, em) => ({ identity, em, config, loaders: createLoaders(em, identity) }),
  });
}

export { assistantsEnv, readAssistantsConfig, type AssistantsConfig } from './env';
export { assistantsSchema } from './schema';
export { seedDemoAssistants } from './seed';
