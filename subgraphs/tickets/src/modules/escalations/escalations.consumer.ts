import type { MikroORM } from '@mikro-orm/postgresql';
import { idempotent, type EventConsumer } from '@switchboard/kit';
import { TicketPriority } from '../tickets/ticket.entity';
import { insertTicket } from '../tickets/tickets.service';

export const ESCALATIONS_GROUP = 'tickets.escalations';

/** The payload of `conversation.escalated`, emitted by the conversations subgraph. */
interface ConversationEscalated {
  conversationId: string;
  subject: string;
  description: string;
  priority: string;
  category: string | null;
  requesterName: string | null;
  requesterEmail: string | null;
  byUserId: string | null;
}

/**
 * Opens a ticket for every escalated conversation, linked to it, once per event: the
 * tickets subgraph owns tickets, so the conversations subgraph asks by event, never by call.
 * An escalation that keeps failing ends in the dead letters (`npm run events:redrive -- --group
 * tickets.escalations` retries it) instead of holding up the ones behind it.
 */
export function consumeEscalations(orm: MikroORM, events: EventConsumer, clock: () => Date, atRiskPercent: number): () => Promise<void> {
  return events.consume(
    ESCALATIONS_GROUP,
    ['conversation.escalated'],
    idempotent(orm, ESCALATIONS_GROUP, async (em, event) => {
      const e = event.data as unknown as ConversationEscalated;
      const priority = (Object.values(TicketPriority) as string[]).includes(e.priority) ? (e.priority as TicketPriority) : TicketPriority.NORMAL;
      await insertTicket(
        em,
        event.tenantId,
        {
          subject: e.subject.slice(0, 300),
          description: e.description.slice(0, 20_000),
          priority,
          category: e.category,
          tags: ['escalated'],
          requesterName: e.requesterName ?? 'Unknown contact',
          requesterEmail: e.requesterEmail ?? 'unknown@invalid',
          conversationId: e.conversationId,
        },
        clock(),
        { kind: e.byUserId ? 'user' : 'system', id: e.byUserId },
        atRiskPercent,
      );
    }),
  );
}
