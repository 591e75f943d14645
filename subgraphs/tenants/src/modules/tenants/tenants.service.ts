import { ALL_ROLES, NotFoundError, authorize } from '@switchboard/kit';
import type { TenantsContext } from '../../context';
import { Tenant } from './tenant.entity';

/** The caller's own tenant. Any other tenant's id answers NOT_FOUND: existence does not leak. */
export async function findTenant(ctx: TenantsContext, id: string): Promise<Tenant> {
  const caller = authorize(ctx.identity, { roles: ALL_ROLES, scope: 'tenant:read' });
  const tenant = id === caller.tenantId ? await ctx.em.findOne(Tenant, id) : null;
  if (!tenant) throw new NotFoundError('Tenant', id);
  return tenant;
}
