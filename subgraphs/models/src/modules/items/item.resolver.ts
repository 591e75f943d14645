import { Arg, Ctx, Field, ID, InputType, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { ModelsContext } from '../../context';
import { ModelsItem, ModelsItemConnection } from './item.entity';
import { createItem, getItem, listItems } from './items.service';

@InputType()
export class CreateModelsItemInput {
  @Field()
  name!: string;
}

@Resolver(() => ModelsItem)
export class ModelsItemResolver {
  @Query(() => ModelsItemConnection, { nullable: true, description: 'Your tenant’s models items, oldest first.' })
  modelsItems(
    @Ctx() ctx: ModelsContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return listItems(ctx, { first, after });
  }

  @Query(() => ModelsItem, { description: 'One models item of your tenant; NOT_FOUND otherwise.' })
  modelsItem(@Arg('id', () => ID) id: string, @Ctx() ctx: ModelsContext): Promise<ModelsItem> {
    return getItem(ctx, id);
  }

  @Mutation(() => ModelsItem, { description: 'Adds a models item to your tenant (not ANALYST).' })
  createModelsItem(@Arg('input') input: CreateModelsItemInput, @Ctx() ctx: ModelsContext): Promise<ModelsItem> {
    return createItem(ctx, input);
  }
}

/** Other subgraphs reference a ModelsItem by id; it resolves in the caller's tenant only. */
export const modelsItemReference = {
  ModelsItem: { __resolveReference: (ref: { id: string }, ctx: ModelsContext) => ctx.loaders.item.load(ref.id) },
};
