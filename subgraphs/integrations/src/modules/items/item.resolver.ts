import { Arg, Ctx, Field, ID, InputType, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { IntegrationsContext } from '../../context';
import { IntegrationsItem, IntegrationsItemConnection } from './item.entity';
import { createItem, getItem, listItems } from './items.service';

@InputType()
export class CreateIntegrationsItemInput {
  @Field()
  name!: string;
}

@Resolver(() => IntegrationsItem)
export class IntegrationsItemResolver {
  @Query(() => IntegrationsItemConnection, { nullable: true, description: 'Your tenant’s integrations items, oldest first.' })
  integrationsItems(
    @Ctx() ctx: IntegrationsContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return listItems(ctx, { first, after });
  }

  @Query(() => IntegrationsItem, { description: 'One integrations item of your tenant; NOT_FOUND otherwise.' })
  integrationsItem(@Arg('id', () => ID) id: string, @Ctx() ctx: IntegrationsContext): Promise<IntegrationsItem> {
    return getItem(ctx, id);
  }

  @Mutation(() => IntegrationsItem, { description: 'Adds a integrations item to your tenant (not ANALYST).' })
  createIntegrationsItem(@Arg('input') input: CreateIntegrationsItemInput, @Ctx() ctx: IntegrationsContext): Promise<IntegrationsItem> {
    return createItem(ctx, input);
  }
}

/** Other subgraphs reference a IntegrationsItem by id; it resolves in the caller's tenant only. */
export const integrationsItemReference = {
  IntegrationsItem: { __resolveReference: (ref: { id: string }, ctx: IntegrationsContext) => ctx.loaders.item.load(ref.id) },
};
