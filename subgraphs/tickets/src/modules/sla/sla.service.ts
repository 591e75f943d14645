import type { EntityManager } from '@switchboard/kit';
import { SlaState, type Ticket } from '../tickets/ticket.entity';
import { addBusinessMinutes, evaluateSla } from './sla-math';
import { SlaPolicy } from './sla-policy.entity';

/**
 * Sets a ticket's SLA targets from its priority's policy (or clears them when the tenant
 * has none), counting from the ticket's creation. Called at creation and on a priority change.
 */
export function applyPolicy(ticket: Ticket, policy: SlaPolicy | null): void {
  ticket.slaPolicyId = policy?.id ?? null;
  ticket.firstResponseDueAt = policy ? addBusinessMinutes(ticket.createdAt, policy.firstResponseMinutes, policy.businessHours) : null;
  ticket.resolutionDueAt = policy ? addBusinessMinutes(ticket.createdAt, policy.resolutionMinutes, policy.businessHours) : null;
}

export function atRiskShare(policy: SlaPolicy | null, defaultPercent: number): number {
  return (policy?.atRiskPercent ?? defaultPercent) / 100;
}

export interface SlaChange {
  from: SlaState;
  to: SlaState;
}

/**
 * Re-evaluates a ticket's SLA state at `now` and records when it breached. A breach is
 * final: a ticket that missed a target stays BREACHED. Returns the change, if any.
 */
export function reevaluate(ticket: Ticket, policy: SlaPolicy | null, now: Date, defaultPercent: number): SlaChange | null {
  const before = ticket.slaState;
  if (!policy) {
    ticket.slaState = SlaState.ON_TRACK;
    ticket.slaBreachedAt = null;
  } else if (before !== SlaState.BREACHED) {
    const { state, breachedAt } = evaluateSla(
      {
        startedAt: ticket.createdAt,
        firstResponseDueAt: ticket.firstResponseDueAt ?? null,
        resolutionDueAt: ticket.resolutionDueAt ?? null,
        firstRespondedAt: ticket.firstRespondedAt ?? null,
        resolvedAt: ticket.resolvedAt ?? null,
      },
      now,
      atRiskShare(policy, defaultPercent),
      policy.businessHours,
    );
    ticket.slaState = state as SlaState;
    ticket.slaBreachedAt = breachedAt;
  }
  return before === ticket.slaState ? null : { from: before, to: ticket.slaState };
}

export function policyFor(em: EntityManager, tenantId: string, priority: Ticket['priority']): Promise<SlaPolicy | null> {
  return em.findOne(SlaPolicy, { tenantId, priority });
}
