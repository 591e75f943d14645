import type { MikroORM } from '@mikro-orm/postgresql';
import { idempotent, type EventConsumer } from '@switchboard/kit';
import { AssistantConversation } from '../assistants/entities';

export const OUTCOMES_GROUP = 'assistants-outcomes';

/**
 * How a bot conversation ended, for `AssistantVersion.stats`: resolved with no human
 * (`resolvedByBot`), taken by a person (a BOT → QUEUED/ASSIGNED move the assistant did not
 * make counts as a handoff too), and the customer's rating. Idempotent by event id.
 */
export function consumeOutcomes(orm: MikroORM, events: EventConsumer): () => Promise<void> {
  return events.consume(
    OUTCOMES_GROUP,
    ['conversation.updated', 'conversation.resolved', 'conversation.rated'],
    idempotent(orm, OUTCOMES_GROUP, async (em, event) => {
      const d = event.data as { id?: string; score?: number; changes?: { status?: { from: string; to: string } } };
      if (!d.id) return;
      const state = await em.findOne(AssistantConversation, { conversationId: d.id, tenantId: event.tenantId });
      if (!state?.assistantId) return;
      if (event.type === 'conversation.updated') {
        const status = d.changes?.status;
        if (status?.from === 'BOT' && (status.to === 'QUEUED' || status.to === 'ASSIGNED') && !state.handedOff) {
          state.handedOff = true;
          state.handoffReason ??= 'taken over by a person';
        }
      } else if (event.type === 'conversation.resolved') {
        if (!state.handedOff) state.resolvedByBot = true;
      } else if (event.type === 'conversation.rated' && typeof d.score === 'number') {
        state.csat = d.score;
      }
    }),
    { maxAttempts: 5 },
  );
}
