import type { MikroORM } from '@mikro-orm/postgresql';
import { idempotent, type EventBus } from '@switchboard/kit';
import { Agent } from './agent.entity';

export const AGENT_DIRECTORY_GROUP = 'tickets.agent-directory';

interface UserUpserted {
  id: string;
  name: string;
  role: string;
  skills: string[];
}

/** Keeps the `agent` table in step with `user.upserted`; each event applies once. */
export function consumeUserDirectory(orm: MikroORM, bus: EventBus): () => Promise<void> {
  return bus.consume(
    AGENT_DIRECTORY_GROUP,
    ['user.upserted'],
    idempotent(orm, AGENT_DIRECTORY_GROUP, async (em, event) => {
      const u = event.data as unknown as UserUpserted;
      await upsertAgent(em, event.tenantId, u, new Date(event.occurredAt));
    }),
  );
}

/** Newer facts win: an event older than the row (redelivered out of order) changes nothing. */
export async function upsertAgent(em: import('@switchboard/kit').EntityManager, tenantId: string, u: UserUpserted, at: Date): Promise<void> {
  const existing = await em.findOne(Agent, { id: u.id, tenantId }, { filters: false });
  if (existing && existing.updatedAt > at) return;
  const agent = existing ?? em.create(Agent, { id: u.id, tenantId, name: u.name, role: u.role, skills: u.skills, updatedAt: at });
  Object.assign(agent, { name: u.name, role: u.role, skills: u.skills, updatedAt: at });
  await em.flush();
}
