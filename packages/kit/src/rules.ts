import { OptimisticLockError, UniqueConstraintViolationException } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType, type ClassType } from 'type-graphql';
import type { Caller } from './auth';
import { ConflictError, ForbiddenError } from './errors';
import type { Role } from './identity';

/**
 * Rules several subgraphs apply the same way: who works items, who manages them, who may
 * take an item from whom, how the ORM's concurrency errors reach clients, and the key-only
 * stubs of entities another subgraph owns.
 */

/** People who work tickets and conversations. */
export const WORKER_ROLES: readonly Role[] = ['OWNER', 'ADMIN', 'SUPERVISOR', 'AGENT'];
/** People who also assign others, take work over from others and manage policies. */
export const MANAGER_ROLES: readonly Role[] = ['OWNER', 'ADMIN', 'SUPERVISOR'];

export function isManager(caller: Caller): boolean {
  return caller.kind === 'user' && caller.roles.some((r) => MANAGER_ROLES.includes(r));
}

/**
 * Who may assign what (tickets and conversations alike). API keys with the write scope and
 * SUPERVISOR and up assign anyone, and take items over from anyone. Any other person (an
 * AGENT) may only take an unassigned item (or one they already hold) for themselves, or let
 * the server pick an assignee for it: not assign someone else, not unassign, not touch an
 * item another agent holds. `target` is the requested assignee (null to unassign, undefined
 * when the server picks, e.g. round-robin).
 */
export function checkAssignment(caller: Caller, item: { what: string; currentAssigneeId: string | null }, target: string | null | undefined): void {
  if (caller.kind !== 'user' || isManager(caller)) return;
  const me = caller.userId ?? null;
  if (target !== undefined && target !== me) {
    throw new ForbiddenError(`Agents take ${item.what}s themselves; assigning others needs SUPERVISOR, ADMIN or OWNER`);
  }
  if (item.currentAssigneeId !== null && item.currentAssigneeId !== me) {
    throw new ForbiddenError(`This ${item.what} is assigned to another agent; taking it over needs SUPERVISOR, ADMIN or OWNER`);
  }
}

/**
 * The ORM's concurrency and uniqueness failures as CONFLICT (what a client can act on:
 * reload and retry, or pick another value); anything else is rethrown as it is.
 */
export function conflictFromOrm(error: unknown, messages: { lost?: string; duplicate?: string } = {}): never {
  if (error instanceof OptimisticLockError) {
    throw new ConflictError(messages.lost ?? 'Someone else changed this at the same time; reload and retry');
  }
  if (error instanceof UniqueConstraintViolationException) {
    throw new ConflictError(messages.duplicate ?? 'This collides with an existing record');
  }
  throw error;
}

/**
 * An entity another subgraph owns, as this subgraph knows it: its key, plus whatever fields
 * this subgraph adds through its own resolvers. One class per call (type-graphql keeps
 * metadata globally; each subgraph schema only includes the types its resolvers reach).
 */
export function keyStub(name: string, description?: string): ClassType<{ id: string }> {
  @ObjectType(name, description ? { description } : {})
  @Directive('@key(fields: "id")')
  class Stub {
    @Field(() => ID)
    id!: string;
  }
  return Stub;
}

/** `__resolveReference` for key-only stubs: the reference is the entity (`{ id }`). */
export function stubReferences(...typeNames: string[]): Record<string, { __resolveReference: (ref: { id: string }) => { id: string } }> {
  return Object.fromEntries(typeNames.map((n) => [n, { __resolveReference: (ref: { id: string }) => ({ id: ref.id }) }]));
}
