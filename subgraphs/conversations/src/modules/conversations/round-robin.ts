import { ConflictError } from '@switchboard/kit';
import type { Conversation, ConversationPatch, UnitOfWork } from '../../store/types';

/** Conversations an agent may hold at once before round-robin passes them by. */
export const AGENT_CAPACITY = 5;

export interface RoundRobinAgent {
  id: string;
  name: string;
}

/** The agent with the fewest assigned conversations, under capacity; ties by name, then id. Null when all are full. */
export function pickLeastLoaded<A extends RoundRobinAgent>(agents: readonly A[], loads: ReadonlyMap<string, number>, capacity = AGENT_CAPACITY): A | null {
  let best: { agent: A; load: number } | null = null;
  const ordered = [...agents].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  for (const agent of ordered) {
    const load = loads.get(agent.id) ?? 0;
    if (load < capacity && (!best || load < best.load)) best = { agent, load };
  }
  return best?.agent ?? null;
}

/**
 * Inside a unit of work: takes the tenant's assignment lock, counts every agent's assigned
 * conversations in one statement, and answers the patch that assigns the least-loaded one —
 * written by the same unit of work, so two round-robins at once never exceed capacity.
 * CONFLICT (NO_AVAILABLE_AGENT) when every agent is full.
 */
export async function roundRobinPatch(tx: UnitOfWork, conversation: Pick<Conversation, 'id'>, agents: readonly RoundRobinAgent[], capacity = AGENT_CAPACITY): Promise<ConversationPatch> {
  const loads = await tx.assignedCounts(agents.map((a) => a.id), conversation.id);
  const chosen = pickLeastLoaded(agents, loads, capacity);
  if (!chosen) throw new ConflictError('Every agent is at capacity; the conversation stays queued', { reason: 'NO_AVAILABLE_AGENT', capacity });
  return { assigneeId: chosen.id };
}
