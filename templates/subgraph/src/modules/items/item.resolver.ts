import { Arg, Ctx, Field, ID, InputType, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { SampleContext } from '../../context';
import { SampleItem, SampleItemConnection } from './item.entity';
import { createItem, getItem, listItems } from './items.service';

@InputType()
export class CreateSampleItemInput {
  @Field()
  name!: string;
}

@Resolver(() => SampleItem)
export class SampleItemResolver {
  @Query(() => SampleItemConnection, { nullable: true, description: 'Your tenant’s sample items, oldest first.' })
  sampleItems(
    @Ctx() ctx: SampleContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return listItems(ctx, { first, after });
  }

  @Query(() => SampleItem, { description: 'One sample item of your tenant; NOT_FOUND otherwise.' })
  sampleItem(@Arg('id', () => ID) id: string, @Ctx() ctx: SampleContext): Promise<SampleItem> {
    return getItem(ctx, id);
  }

  @Mutation(() => SampleItem, { description: 'Adds a sample item to your tenant (not ANALYST).' })
  createSampleItem(@Arg('input') input: CreateSampleItemInput, @Ctx() ctx: SampleContext): Promise<SampleItem> {
    return createItem(ctx, input);
  }
}

/** Other subgraphs reference a SampleItem by id; it resolves in the caller's tenant only. */
export const sampleItemReference = {
  SampleItem: { __resolveReference: (ref: { id: string }, ctx: SampleContext) => ctx.loaders.item.load(ref.id) },
};
