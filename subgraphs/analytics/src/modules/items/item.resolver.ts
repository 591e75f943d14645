import { Arg, Ctx, Field, ID, InputType, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { AnalyticsContext } from '../../context';
import { AnalyticsItem, AnalyticsItemConnection } from './item.entity';
import { createItem, getItem, listItems } from './items.service';

@InputType()
export class CreateAnalyticsItemInput {
  @Field()
  name!: string;
}

@Resolver(() => AnalyticsItem)
export class AnalyticsItemResolver {
  @Query(() => AnalyticsItemConnection, { nullable: true, description: 'Your tenant’s analytics items, oldest first.' })
  analyticsItems(
    @Ctx() ctx: AnalyticsContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return listItems(ctx, { first, after });
  }

  @Query(() => AnalyticsItem, { description: 'One analytics item of your tenant; NOT_FOUND otherwise.' })
  analyticsItem(@Arg('id', () => ID) id: string, @Ctx() ctx: AnalyticsContext): Promise<AnalyticsItem> {
    return getItem(ctx, id);
  }

  @Mutation(() => AnalyticsItem, { description: 'Adds a analytics item to your tenant (not ANALYST).' })
  createAnalyticsItem(@Arg('input') input: CreateAnalyticsItemInput, @Ctx() ctx: AnalyticsContext): Promise<AnalyticsItem> {
    return createItem(ctx, input);
  }
}

/** Other subgraphs reference a AnalyticsItem by id; it resolves in the caller's tenant only. */
export const analyticsItemReference = {
  AnalyticsItem: { __resolveReference: (ref: { id: string }, ctx: AnalyticsContext) => ctx.loaders.item.load(ref.id) },
};
