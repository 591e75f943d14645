import type { MikroORM } from '@mikro-orm/postgresql';
import { emitEvent, type EntityManager } from '@switchboard/kit';
import { Agent } from './modules/agents/agent.entity';
import { upsertAgent } from './modules/agents/agents.consumer';
import { SlaPolicy } from './modules/sla/sla-policy.entity';
import { applyPolicy, reevaluate } from './modules/sla/sla.service';
import { TicketComment } from './modules/tickets/ticket-comment.entity';
import { TicketHistory } from './modules/tickets/ticket-history.entity';
import { Ticket, TicketPriority, TicketStatus } from './modules/tickets/ticket.entity';
import { nextNumber } from './modules/tickets/tickets.service';

/** A user as the demo seed of the tenants subgraph made them. */
export interface DirectoryEntry {
  id: string;
  tenantId: string;
  tenantSlug: string;
  name: string;
  email: string;
  role: string;
  skills: string[];
}

const BERLIN_OFFICE = { timeZone: 'Europe/Berlin', days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' };

const POLICIES: Record<string, { priority: TicketPriority; firstResponseMinutes: number; resolutionMinutes: number; businessHours?: typeof BERLIN_OFFICE }[]> = {
  acme: [
    { priority: TicketPriority.URGENT, firstResponseMinutes: 30, resolutionMinutes: 240 },
    { priority: TicketPriority.HIGH, firstResponseMinutes: 60, resolutionMinutes: 480 },
    { priority: TicketPriority.NORMAL, firstResponseMinutes: 240, resolutionMinutes: 1440, businessHours: BERLIN_OFFICE },
    { priority: TicketPriority.LOW, firstResponseMinutes: 480, resolutionMinutes: 4320, businessHours: BERLIN_OFFICE },
  ],
  globex: [{ priority: TicketPriority.NORMAL, firstResponseMinutes: 120, resolutionMinutes: 2880 }],
};

const SUBJECTS: [string, string][] = [
  ['billing', 'Charged twice for the March invoice'],
  ['billing', 'Need a VAT number on my receipts'],
  ['billing', 'Refund for the cancelled annual plan'],
  ['technical', 'Widget does not load on Safari 17'],
  ['technical', 'WhatsApp messages arrive out of order'],
  ['technical', 'Webhook deliveries failing with 502'],
  ['general', 'How do I add a second admin?'],
  ['general', 'Export of last quarter’s conversations'],
  ['general', 'Change the company name on the account'],
];

const STATUSES = [TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.PENDING, TicketStatus.RESOLVED, TicketStatus.CLOSED];
const PRIORITIES = [TicketPriority.LOW, TicketPriority.NORMAL, TicketPriority.HIGH, TicketPriority.URGENT];

/**
 * Demo data once: SLA policies, and tickets in every status and priority for acme (a few
 * for globex), some assigned, with replies and history. Also fills the agent directory from
 * `directory`, so a fresh `npm start` does not wait for the events to arrive.
 */
export async function seedDemoTickets(orm: MikroORM, directory: DirectoryEntry[], now = new Date()): Promise<{ seeded: boolean }> {
  const fork = orm.em.fork();
  for (const u of directory) await upsertAgent(fork, u.tenantId, u, new Date(0));
  if (await fork.count(Ticket, {}, { filters: false })) return { seeded: false };
  const tenants = [...new Map(directory.map((u) => [u.tenantSlug, u.tenantId])).entries()];
  await orm.em.fork().transactional(async (em) => {
    for (const [slug, tenantId] of tenants) {
      const policies = new Map<string, SlaPolicy>();
      for (const p of POLICIES[slug] ?? []) policies.set(p.priority, em.create(SlaPolicy, { tenantId, ...p, businessHours: p.businessHours ?? null }));
      await em.flush();
      const agents = await em.find(Agent, { tenantId, role: 'AGENT' }, { filters: false, orderBy: { name: 'asc' } });
      const count = slug === 'acme' ? 36 : 6;
      for (let i = 0; i < count; i++) {
        const [category, subject] = SUBJECTS[i % SUBJECTS.length]!;
        const status = STATUSES[i % STATUSES.length]!;
        const priority = PRIORITIES[(i * 7) % PRIORITIES.length]!;
        const createdAt = new Date(now.getTime() - (count - i) * 47 * 60_000);
        const agent = status === TicketStatus.OPEN && i % 2 === 0 ? undefined : agents.find((a) => a.skills.includes(category)) ?? agents[i % Math.max(agents.length, 1)];
        await seedTicket(em, { tenantId, subject, category, status, priority, createdAt, assigneeId: agent?.id ?? null, now, policy: policies.get(priority) ?? null, i });
      }
    }
  });
  return { seeded: true };
}

async function seedTicket(
  em: EntityManager,
  t: { tenantId: string; subject: string; category: string; status: TicketStatus; priority: TicketPriority; createdAt: Date; assigneeId: string | null; now: Date; policy: SlaPolicy | null; i: number },
): Promise<void> {
  const number = await nextNumber(em, t.tenantId);
  const ticket = em.create(Ticket, {
    tenantId: t.tenantId,
    number,
    subject: t.subject,
    description: `${t.subject}. (Demo ticket ${number}.)`,
    priority: t.priority,
    category: t.category,
    tags: t.i % 3 === 0 ? ['vip'] : [],
    requesterName: `Customer ${number}`,
    requesterEmail: `customer${number}@example.com`,
    status: t.status,
    assigneeId: t.assigneeId,
    createdAt: t.createdAt,
    updatedAt: t.createdAt,
  });
  applyPolicy(ticket, t.policy);
  if (t.status !== TicketStatus.OPEN) ticket.firstRespondedAt = new Date(t.createdAt.getTime() + 20 * 60_000);
  if (t.status === TicketStatus.RESOLVED || t.status === TicketStatus.CLOSED) ticket.resolvedAt = new Date(t.createdAt.getTime() + 90 * 60_000);
  if (t.status === TicketStatus.CLOSED) ticket.closedAt = new Date(t.createdAt.getTime() + 120 * 60_000);
  reevaluate(ticket, t.policy, t.now, 25);
  em.persist(em.create(TicketHistory, { tenantId: t.tenantId, ticketId: ticket.id, actorKind: 'system', actorId: null, field: 'status', from: null, to: TicketStatus.OPEN, createdAt: t.createdAt }));
  if (t.status !== TicketStatus.OPEN) {
    em.persist(em.create(TicketHistory, { tenantId: t.tenantId, ticketId: ticket.id, actorKind: 'system', actorId: null, field: 'status', from: TicketStatus.OPEN, to: t.status, createdAt: ticket.firstRespondedAt! }));
    em.persist(
      em.create(TicketComment, {
        tenantId: t.tenantId,
        ticketId: ticket.id,
        authorKind: 'user',
        authorId: t.assigneeId,
        body: 'Thanks for reaching out: we are looking into it.',
        internal: false,
        createdAt: ticket.firstRespondedAt!,
      }),
    );
    if (t.i % 4 === 1) {
      em.persist(em.create(TicketComment, { tenantId: t.tenantId, ticketId: ticket.id, authorKind: 'user', authorId: t.assigneeId, body: 'Internal: customer is on the legacy plan.', internal: true, createdAt: ticket.firstRespondedAt! }));
    }
  }
  emitEvent(em, 'ticket.created', t.tenantId, { id: ticket.id, number, priority: ticket.priority, category: ticket.category });
  await em.flush();
}
