import type { DomainEvent } from '@switchboard/kit';

/** The event an endpoint's tenant gets when it was paused after too many failures. */
export const ENDPOINT_PAUSED = 'webhook_endpoint.paused';

/**
 * The domain events an endpoint may subscribe to (docs/api.md lists their payloads). The
 * names are the emitters' own (tickets' and conversations' services).
 */
export const WEBHOOK_EVENT_TYPES = [
  'ticket.created',
  'ticket.updated',
  'ticket.status_changed',
  'ticket.assigned',
  'ticket.commented',
  'ticket.sla_at_risk',
  'ticket.sla_breached',
  'conversation.started',
  'conversation.updated',
  'conversation.assigned',
  'conversation.resolved',
  'conversation.escalated',
  'message.sent',
  'contact.created',
  'contact.updated',
  ENDPOINT_PAUSED,
] as const;

/**
 * What deliveries are ordered by: events about one ticket (or one conversation, its messages
 * included) reach an endpoint in the order they happened; different ones do not wait for each other.
 */
export function orderKeyOf(event: Pick<DomainEvent, 'id' | 'type' | 'data'>): string {
  const data = event.data as Record<string, unknown>;
  const [entity] = event.type.split('.');
  if (event.type === 'message.sent' && typeof data.conversationId === 'string') return `conversation:${data.conversationId}`;
  if (event.type === 'conversation.escalated' && typeof data.conversationId === 'string') return `conversation:${data.conversationId}`;
  if (typeof data.id === 'string') return `${entity}:${data.id}`;
  return `event:${event.id}`;
}
