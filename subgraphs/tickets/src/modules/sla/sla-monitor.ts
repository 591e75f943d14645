import type { MikroORM } from '@mikro-orm/postgresql';
import { emitEvent, publishLive, type Logger, type Redis } from '@switchboard/kit';
import { TicketHistory } from '../tickets/ticket-history.entity';
import { SlaState, Ticket } from '../tickets/ticket.entity';
import { OPEN_STATUSES } from '../tickets/workflow';
import { SlaPolicy } from './sla-policy.entity';
import { reevaluate } from './sla.service';

export interface SlaCheckResult {
  checked: number;
  atRisk: number;
  breached: number;
}

const BATCH = 500;

/**
 * One pass of the SLA check over every tenant's open tickets that are not yet breached:
 * marks AT_RISK and BREACHED (recording when), writes the history and emits
 * `ticket.sla_at_risk` / `ticket.sla_breached`. `now` comes from the caller, so tests pass
 * whatever time they need. A system job: it reads across tenants on purpose and writes each
 * ticket under its own tenant.
 */
export async function runSlaCheck(orm: MikroORM, now: Date, defaultAtRiskPercent: number, redis?: Redis): Promise<SlaCheckResult> {
  const result: SlaCheckResult = { checked: 0, atRisk: 0, breached: 0 };
  const alerts: { tenantId: string; id: string }[] = [];
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const done = await orm.em.fork().transactional(async (em) => {
      const tickets = await em.find(
        Ticket,
        { status: { $in: [...OPEN_STATUSES] }, slaPolicyId: { $ne: null }, slaState: { $ne: SlaState.BREACHED }, id: { $gt: after } },
        { filters: false, orderBy: { id: 'asc' }, limit: BATCH },
      );
      if (!tickets.length) return true;
      after = tickets.at(-1)!.id;
      const policies = await em.find(SlaPolicy, { id: { $in: [...new Set(tickets.map((t) => t.slaPolicyId!))] } }, { filters: false });
      const byId = new Map(policies.map((p) => [p.id, p]));
      for (const ticket of tickets) {
        result.checked++;
        const change = reevaluate(ticket, byId.get(ticket.slaPolicyId!) ?? null, now, defaultAtRiskPercent);
        if (!change) continue;
        em.persist(em.create(TicketHistory, { tenantId: ticket.tenantId, ticketId: ticket.id, actorKind: 'system', actorId: null, field: 'slaState', from: change.from, to: change.to, createdAt: now }));
        if (change.to !== SlaState.ON_TRACK) alerts.push({ tenantId: ticket.tenantId, id: ticket.id });
        if (change.to === SlaState.AT_RISK) {
          result.atRisk++;
          emitEvent(em, 'ticket.sla_at_risk', ticket.tenantId, { id: ticket.id, firstResponseDueAt: ticket.firstResponseDueAt, resolutionDueAt: ticket.resolutionDueAt });
        }
        if (change.to === SlaState.BREACHED) {
          result.breached++;
          emitEvent(em, 'ticket.sla_breached', ticket.tenantId, { id: ticket.id, breachedAt: ticket.slaBreachedAt });
        }
      }
      await em.flush();
      return tickets.length < BATCH;
    });
    // After each batch's commit: live alerts for consoles (the durable events went through the outbox).
    for (const a of alerts.splice(0)) {
      const representation = { __typename: 'Ticket', id: a.id };
      await publishLive(redis, a.tenantId, { field: 'slaAlert', representation });
      await publishLive(redis, a.tenantId, { field: 'ticketUpdated', args: { id: a.id }, representation });
    }
    if (done) return result;
  }
}

/** Runs the check on a timer (off when the interval is 0). A pass never overlaps the previous one. */
export function startSlaMonitor(orm: MikroORM, options: { intervalMs: number; defaultAtRiskPercent: number; clock: () => Date; logger: Logger; redis?: Redis }): () => Promise<void> {
  if (!options.intervalMs) return async () => {};
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = runSlaCheck(orm, options.clock(), options.defaultAtRiskPercent, options.redis)
      .then((r) => (r.atRisk || r.breached ? options.logger.info('SLA check', { ...r }) : undefined))
      .catch((error) => options.logger.warn('SLA check failed', { error }))
      .finally(() => (running = undefined));
  }, options.intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
