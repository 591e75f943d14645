import { LockMode, raw } from '@mikro-orm/core';
import {
  ALL_ROLES,
  ConflictError,
  InvalidTransitionError,
  MANAGER_ROLES,
  NotFoundError,
  WORKER_ROLES,
  authorize,
  checkAssignment,
  conflictFromOrm,
  emitEvent,
  paginate,
  type Caller,
  type EntityManager,
  type Page,
  type Role,
} from '@switchboard/kit';
import type { TicketsContext } from '../../context';
import { Agent } from '../agents/agent.entity';
import { pickAgent } from '../agents/assignment';
import { applyPolicy, policyFor, reevaluate } from '../sla/sla.service';
import { SlaPolicy } from '../sla/sla-policy.entity';
import { CreateTicketInput, TicketFilter, TicketOrder, UpdateTicketInput, category, email, isUuid, tags, text } from './inputs';
import { TicketComment } from './ticket-comment.entity';
import { TicketHistory } from './ticket-history.entity';
import { Ticket, TicketStatus, type TicketPriority } from './ticket.entity';
import { OPEN_STATUSES, allowedTransitions, canTransition } from './workflow';

export const READ = { roles: ALL_ROLES, scope: 'tickets:read' };
export const WORK = { roles: WORKER_ROLES, scope: 'tickets:write' };
export const MANAGE = { roles: MANAGER_ROLES };

interface Change {
  field: string;
  from: unknown;
  to: unknown;
}

function actor(caller: Caller): { kind: 'user' | 'apiKey'; id: string | null } {
  return caller.kind === 'user' ? { kind: 'user', id: caller.userId ?? null } : { kind: 'apiKey', id: caller.apiKeyId ?? null };
}

function record(em: EntityManager, ticket: Ticket, who: { kind: string; id: string | null }, changes: Change[], at: Date): void {
  for (const c of changes) {
    em.persist(em.create(TicketHistory, { tenantId: ticket.tenantId, ticketId: ticket.id, actorKind: who.kind, actorId: who.id, field: c.field, from: c.from ?? null, to: c.to ?? null, createdAt: at }));
  }
}

export async function findTicket(ctx: TicketsContext, id: string): Promise<Ticket> {
  authorize(ctx.identity, READ);
  const ticket = isUuid(id) ? await ctx.loaders.ticket.load(id) : null;
  if (!ticket) throw new NotFoundError('Ticket', id);
  return ticket;
}

export async function listTickets(
  ctx: TicketsContext,
  args: { filter?: TicketFilter | null; first?: number | null; after?: string | null; orderBy?: TicketOrder | null },
): Promise<Page<Ticket>> {
  const caller = authorize(ctx.identity, READ);
  const f = args.filter ?? {};
  const where: Record<string, unknown> = { tenantId: caller.tenantId };
  if (f.status?.length) where.status = { $in: f.status };
  if (f.priority?.length) where.priority = { $in: f.priority };
  if (f.slaState?.length) where.slaState = { $in: f.slaState };
  if (f.assigneeId) where.assigneeId = isUuid(f.assigneeId) ? f.assigneeId : '00000000-0000-0000-0000-000000000000';
  if (f.unassigned) where.assigneeId = null;
  if (f.search?.trim()) {
    const like = `%${text(f.search, 'search', 200).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    where.$or = [{ subject: { $ilike: like } }, { description: { $ilike: like } }];
  }
  const page = await paginate(ctx.em, Ticket, where, args, args.orderBy === TicketOrder.OLDEST ? 'asc' : 'desc');
  for (const t of page.nodes) ctx.loaders.ticket.prime(t.id, t);
  return page;
}

export async function ticketCounts(ctx: TicketsContext): Promise<{ status: TicketStatus; count: number }[]> {
  const caller = authorize(ctx.identity, READ);
  const rows = await ctx.em
    .createQueryBuilder(Ticket)
    .select(['status', raw('count(*) as n')])
    .where({ tenantId: caller.tenantId })
    .groupBy('status')
    .execute<{ status: TicketStatus; n: string | number }[]>('all');
  const counts = new Map(rows.map((r) => [r.status, Number(r.n)]));
  return Object.values(TicketStatus).map((status) => ({ status, count: counts.get(status) ?? 0 }));
}

/** Next ticket number of a tenant: a row lock on its counter, so concurrent creations queue and a rollback leaves no gap. */
export async function nextNumber(em: EntityManager, tenantId: string): Promise<number> {
  const schema = em.config.get('schema');
  const rows = await em.getConnection().execute<{ last_number: number }[]>(
    `insert into "${schema}"."ticket_counter" ("tenant_id", "last_number") values (?, 1)
     on conflict ("tenant_id") do update set "last_number" = "ticket_counter"."last_number" + 1
     returning "last_number"`,
    [tenantId],
    'all',
    em.getTransactionContext(),
  );
  return rows[0]!.last_number;
}

export interface NewTicket {
  subject: string;
  description: string;
  priority: TicketPriority;
  category: string | null;
  tags: string[];
  requesterName: string;
  requesterEmail: string;
  conversationId?: string | null;
}

/** Validates a createTicket input into a NewTicket, naming the field that is wrong. */
export function newTicket(input: CreateTicketInput): NewTicket {
  return {
    subject: text(input.subject, 'subject', 300),
    description: text(input.description ?? '', 'description', 20_000, { allowEmpty: true }),
    priority: input.priority,
    category: category(input.category),
    tags: tags(input.tags),
    requesterName: text(input.requester.name, 'requester.name', 200),
    requesterEmail: email(input.requester.email, 'requester.email'),
  };
}

/**
 * Writes a new ticket inside the caller's transaction: its number, SLA targets, first
 * history entry and `ticket.created` event. Used by createTicket and by escalations.
 */
export async function insertTicket(em: EntityManager, tenantId: string, data: NewTicket, now: Date, who: { kind: string; id: string | null }, atRiskPercent: number): Promise<Ticket> {
  const number = await nextNumber(em, tenantId);
  const ticket = em.create(Ticket, { tenantId, number, ...data, createdAt: now, updatedAt: now });
  const policy = await policyFor(em, tenantId, ticket.priority);
  applyPolicy(ticket, policy);
  reevaluate(ticket, policy, now, atRiskPercent);
  record(em, ticket, who, [{ field: 'status', from: null, to: ticket.status }], now);
  emitEvent(em, 'ticket.created', tenantId, {
    id: ticket.id,
    number,
    priority: ticket.priority,
    category: ticket.category,
    conversationId: ticket.conversationId ?? null,
    // Analytics: SLA compliance is resolved-before-resolutionDueAt.
    firstResponseDueAt: ticket.firstResponseDueAt?.toISOString() ?? null,
    resolutionDueAt: ticket.resolutionDueAt?.toISOString() ?? null,
  });
  await em.flush();
  return ticket;
}

export async function createTicket(ctx: TicketsContext, input: CreateTicketInput): Promise<Ticket> {
  const caller = authorize(ctx.identity, WORK);
  const data = newTicket(input);
  const now = ctx.clock();
  return ctx.em.transactional((em) => insertTicket(em, caller.tenantId, data, now, actor(caller), ctx.config.SLA_AT_RISK_SHARE));
}

/**
 * Loads a ticket for a write inside a transaction, refuses a stale `expectedVersion`, runs
 * `change`, records its history and flushes. MikroORM's version check on UPDATE catches
 * the writer that lost a race even without `expectedVersion`: both end as CONFLICT, never
 * as a silently overwritten change.
 */
async function writeTicket(
  ctx: TicketsContext,
  id: string,
  expectedVersion: number | null | undefined,
  change: (em: EntityManager, ticket: Ticket, caller: Caller, now: Date) => Promise<Change[]>,
  rule: { roles: readonly Role[]; scope?: string } = WORK,
): Promise<Ticket> {
  const caller = authorize(ctx.identity, rule);
  const now = ctx.clock();
  try {
    const ticket = await ctx.em.transactional(async (em) => {
      const ticket = isUuid(id) ? await em.findOne(Ticket, { id, tenantId: caller.tenantId }) : null;
      if (!ticket) throw new NotFoundError('Ticket', id);
      if (expectedVersion !== null && expectedVersion !== undefined && expectedVersion !== ticket.version) {
        throw new ConflictError(`Ticket ${id} changed since version ${expectedVersion}; it is at version ${ticket.version}`, { currentVersion: ticket.version });
      }
      const changes = await change(em, ticket, caller, now);
      if (changes.length) {
        record(em, ticket, actor(caller), changes, now);
        ticket.updatedAt = now;
        await em.flush();
      }
      return ticket;
    });
    ctx.loaders.ticket.clear(id);
    // After the commit: subscribers resolve the ticket as it now is.
    await ctx.live({ field: 'ticketUpdated', args: { id: ticket.id }, representation: { __typename: 'Ticket', id: ticket.id } });
    return ticket;
  } catch (error) {
    conflictFromOrm(error, { lost: `Ticket ${id} was changed by someone else at the same time; reload and retry` });
  }
}

export function updateTicket(ctx: TicketsContext, id: string, input: UpdateTicketInput, expectedVersion?: number | null): Promise<Ticket> {
  return writeTicket(ctx, id, expectedVersion, async (em, ticket, _caller, now) => {
    const changes: Change[] = [];
    const set = <K extends keyof Ticket>(field: K, value: Ticket[K]) => {
      if (JSON.stringify(ticket[field]) === JSON.stringify(value)) return;
      changes.push({ field: String(field), from: ticket[field], to: value });
      ticket[field] = value;
    };
    if (input.subject !== undefined && input.subject !== null) set('subject', text(input.subject, 'subject', 300));
    if (input.description !== undefined && input.description !== null) set('description', text(input.description, 'description', 20_000, { allowEmpty: true }));
    if (input.category !== undefined) set('category', category(input.category));
    if (input.tags !== undefined && input.tags !== null) set('tags', tags(input.tags));
    if (input.priority && input.priority !== ticket.priority) {
      set('priority', input.priority);
      const policy = await policyFor(em, ticket.tenantId, ticket.priority);
      applyPolicy(ticket, policy);
      const sla = reevaluate(ticket, policy, now, ctx.config.SLA_AT_RISK_SHARE);
      if (sla) changes.push({ field: 'slaState', from: sla.from, to: sla.to });
    }
    if (changes.length) emitEvent(em, 'ticket.updated', ticket.tenantId, { id: ticket.id, fields: changes.map((c) => c.field) });
    return changes;
  });
}

export function changeTicketStatus(ctx: TicketsContext, id: string, status: TicketStatus, expectedVersion?: number | null): Promise<Ticket> {
  return writeTicket(ctx, id, expectedVersion, async (em, ticket, _caller, now) => {
    const from = ticket.status;
    if (!canTransition(from, status)) {
      const allowed = allowedTransitions(from);
      throw new InvalidTransitionError(
        `A ${from} ticket cannot become ${status}${allowed.length ? `; it can become ${allowed.join(', ')}` : '; it is final'}`,
        from,
        allowed,
      );
    }
    const changes: Change[] = [{ field: 'status', from, to: status }];
    ticket.status = status;
    if (status === TicketStatus.RESOLVED) ticket.resolvedAt = now;
    if (from === TicketStatus.RESOLVED && status === TicketStatus.OPEN) ticket.resolvedAt = null; // a reopen
    if (status === TicketStatus.CLOSED) ticket.closedAt = now;
    const policy = ticket.slaPolicyId ? await em.findOne(SlaPolicy, { id: ticket.slaPolicyId, tenantId: ticket.tenantId }) : null;
    const sla = reevaluate(ticket, policy, now, ctx.config.SLA_AT_RISK_SHARE);
    if (sla) changes.push({ field: 'slaState', from: sla.from, to: sla.to });
    emitEvent(em, 'ticket.status_changed', ticket.tenantId, { id: ticket.id, from, to: status });
    return changes;
  });
}

export function assignTicket(ctx: TicketsContext, id: string, userId: string | null): Promise<Ticket> {
  return writeTicket(ctx, id, undefined, async (em, ticket, caller) => {
    // Agents take unassigned tickets for themselves; taking one over is SUPERVISOR and up.
    checkAssignment(caller, { what: 'ticket', currentAssigneeId: ticket.assigneeId ?? null }, userId);
    if (userId !== null) {
      const agent = isUuid(userId) ? await em.findOne(Agent, { id: userId, tenantId: ticket.tenantId }) : null;
      if (!agent) throw new NotFoundError('User', userId);
      if (agent.role === 'ANALYST') throw new ConflictError('Analysts cannot be assigned tickets', { field: 'userId' });
    }
    return setAssignee(em, ticket, userId);
  });
}

function setAssignee(em: EntityManager, ticket: Ticket, userId: string | null): Change[] {
  if (ticket.assigneeId === userId) return [];
  const change = { field: 'assignee', from: ticket.assigneeId ?? null, to: userId };
  ticket.assigneeId = userId;
  emitEvent(em, 'ticket.assigned', ticket.tenantId, { id: ticket.id, assigneeId: userId });
  return [change];
}

export function autoAssignTicket(ctx: TicketsContext, id: string): Promise<Ticket> {
  return writeTicket(
    ctx,
    id,
    undefined,
    async (em, ticket) => {
      // Lock the tenant's agents so two auto-assignments at once see each other's load.
      const agents = await em.find(Agent, { tenantId: ticket.tenantId, role: 'AGENT' }, { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } });
      const loads = agents.length
        ? await em
            .createQueryBuilder(Ticket)
            .select(['assigneeId', raw('count(*) as n')])
            .where({ tenantId: ticket.tenantId, assigneeId: { $in: agents.map((a) => a.id) }, status: { $in: [...OPEN_STATUSES] }, id: { $ne: ticket.id } })
            .groupBy('assigneeId')
            .execute<{ assigneeId: string; n: string | number }[]>('all')
        : [];
      const load = new Map(loads.map((r) => [r.assigneeId, Number(r.n)]));
      const chosen = pickAgent(agents.map((a) => ({ id: a.id, name: a.name, role: a.role, skills: a.skills, openTickets: load.get(a.id) ?? 0 })), ticket.category);
      if (!chosen) {
        throw new ConflictError(
          ticket.category ? `No agent has the skill "${ticket.category}"; the ticket is unchanged` : 'The tenant has no agents; the ticket is unchanged',
          { reason: 'NO_ELIGIBLE_AGENT', category: ticket.category ?? null },
        );
      }
      return setAssignee(em, ticket, chosen.id);
    },
    { roles: MANAGER_ROLES, scope: 'tickets:write' },
  );
}

export function addComment(ctx: TicketsContext, id: string, body: string, internal: boolean): Promise<Ticket> {
  return writeTicket(ctx, id, undefined, async (em, ticket, caller, now) => {
    const value = text(body, 'body', 20_000);
    em.persist(em.create(TicketComment, { tenantId: ticket.tenantId, ticketId: ticket.id, authorKind: caller.kind === 'user' ? 'user' : 'apiKey', authorId: caller.userId ?? caller.apiKeyId ?? null, body: value, internal, createdAt: now }));
    // An internal note's text stays in its comment (hidden from partner keys); history only
    // records that one was added, so no field a partner may read carries its words.
    const changes: Change[] = [internal ? { field: 'internalNote', from: null, to: null } : { field: 'reply', from: null, to: value.slice(0, 100) }];
    // The first public reply from the team is the first response the SLA measures.
    if (!internal && caller.kind === 'user' && !ticket.firstRespondedAt) {
      ticket.firstRespondedAt = now;
      changes.push({ field: 'firstRespondedAt', from: null, to: now.toISOString() });
      const policy = ticket.slaPolicyId ? await em.findOne(SlaPolicy, { id: ticket.slaPolicyId, tenantId: ticket.tenantId }) : null;
      const sla = reevaluate(ticket, policy, now, ctx.config.SLA_AT_RISK_SHARE);
      if (sla) changes.push({ field: 'slaState', from: sla.from, to: sla.to });
    }
    emitEvent(em, 'ticket.commented', ticket.tenantId, { id: ticket.id, internal });
    return changes;
  });
}

export function assignedTickets(ctx: TicketsContext, userId: string, args: { first?: number | null; after?: string | null }): Promise<Page<Ticket>> {
  const caller = authorize(ctx.identity, READ);
  return paginate(ctx.em, Ticket, { tenantId: caller.tenantId, assigneeId: isUuid(userId) ? userId : null }, args, 'desc');
}
