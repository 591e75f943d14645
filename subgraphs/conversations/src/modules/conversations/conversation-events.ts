import type { Conversation, Message, UnitOfWork } from '../../store/types';

/**
 * The domain events of the conversations subgraph, emitted by the service through the
 * store's unit of work (`tx.emit`), so each is written with the change it describes:
 * `conversation.started`, `message.sent`, `conversation.updated`, `conversation.assigned`,
 * `conversation.resolved`, `conversation.escalated`.
 */

export function emitStarted(tx: UnitOfWork, c: Conversation): void {
  tx.emit('conversation.started', { id: c.id, channel: c.channel, status: c.status, contactId: c.contact.id, assigneeId: c.assigneeId, priority: c.priority });
}

/** For a message the store created (a replayed idempotent send emits nothing). */
export function emitMessageSent(tx: UnitOfWork, m: Message): void {
  tx.emit('message.sent', { id: m.id, conversationId: m.conversationId, authorKind: m.authorKind, authorId: m.authorId, createdAt: m.createdAt.toISOString() });
}

/** What changed between two versions of a conversation, as `conversation.updated` (and `.assigned` / `.resolved`). */
export function emitUpdated(tx: UnitOfWork, before: Conversation, after: Conversation): void {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of ['status', 'assigneeId', 'tags', 'priority'] as const) {
    if (JSON.stringify(before[field]) !== JSON.stringify(after[field])) changes[field] = { from: before[field], to: after[field] };
  }
  if (!Object.keys(changes).length) return;
  tx.emit('conversation.updated', { id: after.id, version: after.version, changes });
  if (changes.assigneeId && after.assigneeId) tx.emit('conversation.assigned', { id: after.id, assigneeId: after.assigneeId });
  if (changes.status && after.status === 'RESOLVED') tx.emit('conversation.resolved', { id: after.id });
}
