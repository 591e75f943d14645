import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { requireTenant } from '@switchboard/kit';
import type { TenantsContext } from '../../context';
import { UserConnection } from '../users/user.resolver';
import { listUsers } from '../users/users.service';
import { Quotas, Tenant } from './tenant.entity';
import { findTenant } from './tenants.service';

@Resolver(() => Tenant)
export class TenantResolver {
  @Query(() => Tenant, { nullable: true, description: 'Your tenant.' })
  tenant(@Ctx() ctx: TenantsContext): Promise<Tenant> {
    return findTenant(ctx, requireTenant(ctx.identity).tenantId);
  }

  @FieldResolver(() => Quotas)
  quotas(@Root() tenant: Tenant): Quotas {
    return { requestsPerMinute: tenant.requestsPerMinute, monthlyTokenBudget: tenant.monthlyTokenBudget, seats: tenant.seats };
  }

  @FieldResolver(() => UserConnection)
  users(
    @Ctx() ctx: TenantsContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return listUsers(ctx, { first, after });
  }
}

export const tenantReference = {
  Tenant: { __resolveReference: (ref: { id: string }, ctx: TenantsContext) => findTenant(ctx, ref.id) },
};
