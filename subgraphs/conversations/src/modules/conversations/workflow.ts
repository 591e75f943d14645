import type { ConversationStatus } from '../../store/types';

/** BOT → QUEUED is the handoff; RESOLVED comes back to QUEUED or ASSIGNED on reopen; CLOSED is final. */
export const CONVERSATION_TRANSITIONS: Readonly<Record<ConversationStatus, readonly ConversationStatus[]>> = {
  BOT: ['QUEUED', 'ASSIGNED', 'RESOLVED'],
  QUEUED: ['ASSIGNED', 'RESOLVED'],
  ASSIGNED: ['QUEUED', 'RESOLVED'],
  RESOLVED: ['QUEUED', 'ASSIGNED', 'CLOSED'],
  CLOSED: [],
};

export function canMove(from: ConversationStatus, to: ConversationStatus): boolean {
  return CONVERSATION_TRANSITIONS[from].includes(to);
}
