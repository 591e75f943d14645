import { emitEvent, type EntityManager } from '@switchboard/kit';
import type { User } from './user.entity';

/**
 * `user.upserted`: the whole directory entry other subgraphs keep a projection of (tickets
 * assigns by role and skills). Emitted in the same unit of work as the change.
 */
export function emitUserUpserted(em: EntityManager, user: User): void {
  emitEvent(em, 'user.upserted', user.tenantId, {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    skills: user.skills,
  });
}
