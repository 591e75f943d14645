import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { TicketsContext } from '../../context';
import { SlaPolicyInput } from '../tickets/inputs';
import { SlaPolicy } from './sla-policy.entity';
import { listPolicies, upsertPolicy } from './sla-policy.service';

@Resolver(() => SlaPolicy)
export class SlaPolicyResolver {
  @Query(() => [SlaPolicy], { nullable: true, description: 'Your tenant’s SLA policies, one per priority at most.' })
  slaPolicies(@Ctx() ctx: TicketsContext): Promise<SlaPolicy[]> {
    return listPolicies(ctx);
  }

  @Mutation(() => SlaPolicy, { description: 'SUPERVISOR, ADMIN or OWNER: sets the targets for one priority.' })
  upsertSlaPolicy(@Arg('input') input: SlaPolicyInput, @Ctx() ctx: TicketsContext): Promise<SlaPolicy> {
    return upsertPolicy(ctx, input);
  }
}
