import type { MikroORM } from '@mikro-orm/postgresql';
import { consumeUserDirectory as consume, upsertDirectoryEntry, type EntityManager, type EventConsumer, type UserUpserted } from '@switchboard/kit';
import { Agent } from './agent.entity';

export const AGENT_DIRECTORY_GROUP = 'tickets.agent-directory';

/** Keeps the `agent` table in step with `user.upserted`; each event applies once (the kit's delivery policy: retries, then dead letters). */
export function consumeUserDirectory(orm: MikroORM, events: EventConsumer): () => Promise<void> {
  return consume(orm, events, AGENT_DIRECTORY_GROUP, Agent);
}

export function upsertAgent(em: EntityManager, tenantId: string, u: UserUpserted, at: Date): Promise<void> {
  return upsertDirectoryEntry(em, Agent, tenantId, u, at);
}
