import { AppError, BadInputError, authorize } from '@switchboard/kit';
import type { TicketsContext } from '../../context';
import { READ, MANAGE } from '../tickets/tickets.service';
import type { SlaPolicyInput } from '../tickets/inputs';
import { businessHoursProblems } from './sla-math';
import { SlaPolicy } from './sla-policy.entity';

export async function listPolicies(ctx: TicketsContext): Promise<SlaPolicy[]> {
  const caller = authorize(ctx.identity, READ);
  return ctx.em.find(SlaPolicy, { tenantId: caller.tenantId }, { orderBy: { priority: 'asc' } });
}

const MAX_MINUTES = 365 * 24 * 60;

/**
 * SUPERVISOR, ADMIN or OWNER: sets the targets for one priority. New tickets (and priority
 * changes) use it; tickets already open keep the due times they were given.
 */
export async function upsertPolicy(ctx: TicketsContext, input: SlaPolicyInput): Promise<SlaPolicy> {
  const caller = authorize(ctx.identity, MANAGE);
  for (const field of ['firstResponseMinutes', 'resolutionMinutes'] as const) {
    const v = input[field];
    if (!Number.isInteger(v) || v < 1 || v > MAX_MINUTES) throw new BadInputError(field, `${field} must be between 1 and ${MAX_MINUTES}`);
  }
  if (input.resolutionMinutes < input.firstResponseMinutes) {
    throw new BadInputError('resolutionMinutes', 'resolutionMinutes must be at least firstResponseMinutes');
  }
  if (input.atRiskPercent !== null && input.atRiskPercent !== undefined && (input.atRiskPercent < 1 || input.atRiskPercent > 99)) {
    throw new BadInputError('atRiskPercent', 'atRiskPercent must be between 1 and 99');
  }
  const hours = input.businessHours ? { ...input.businessHours } : null;
  if (hours) {
    const problems = businessHoursProblems(hours);
    if (problems.length) throw new AppError('BAD_USER_INPUT', problems.map((p) => p.message).join('; '), { field: problems[0]!.field });
  }
  const existing = await ctx.em.findOne(SlaPolicy, { tenantId: caller.tenantId, priority: input.priority });
  const policy = existing ?? ctx.em.create(SlaPolicy, { tenantId: caller.tenantId, priority: input.priority, firstResponseMinutes: 0, resolutionMinutes: 0 });
  policy.firstResponseMinutes = input.firstResponseMinutes;
  policy.resolutionMinutes = input.resolutionMinutes;
  policy.businessHours = hours;
  policy.atRiskPercent = input.atRiskPercent ?? null;
  await ctx.em.flush();
  return policy;
}
