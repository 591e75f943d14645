import type { MikroORM } from '@mikro-orm/postgresql';
import { consumeUserDirectory as consume, upsertDirectoryEntry, type EntityManager, type EventBus, type UserUpserted } from '@switchboard/kit';
import { Agent } from './agent.entity';

export const AGENT_DIRECTORY_GROUP = 'tickets.agent-directory';

/** Keeps the `agent` table in step with `user.upserted`; each event applies once. */
export function consumeUserDirectory(orm: MikroORM, bus: EventBus): () => Promise<void> {
  return consume(orm, bus, AGENT_DIRECTORY_GROUP, Agent);
}

export function upsertAgent(em: EntityManager, tenantId: string, u: UserUpserted, at: Date): Promise<void> {
  return upsertDirectoryEntry(em, Agent, tenantId, u, at);
}
