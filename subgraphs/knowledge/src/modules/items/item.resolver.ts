import { Arg, Ctx, Field, ID, InputType, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { KnowledgeContext } from '../../context';
import { KnowledgeItem, KnowledgeItemConnection } from './item.entity';
import { createItem, getItem, listItems } from './items.service';

@InputType()
export class CreateKnowledgeItemInput {
  @Field()
  name!: string;
}

@Resolver(() => KnowledgeItem)
export class KnowledgeItemResolver {
  @Query(() => KnowledgeItemConnection, { nullable: true, description: 'Your tenant’s knowledge items, oldest first.' })
  knowledgeItems(
    @Ctx() ctx: KnowledgeContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return listItems(ctx, { first, after });
  }

  @Query(() => KnowledgeItem, { description: 'One knowledge item of your tenant; NOT_FOUND otherwise.' })
  knowledgeItem(@Arg('id', () => ID) id: string, @Ctx() ctx: KnowledgeContext): Promise<KnowledgeItem> {
    return getItem(ctx, id);
  }

  @Mutation(() => KnowledgeItem, { description: 'Adds a knowledge item to your tenant (not ANALYST).' })
  createKnowledgeItem(@Arg('input') input: CreateKnowledgeItemInput, @Ctx() ctx: KnowledgeContext): Promise<KnowledgeItem> {
    return createItem(ctx, input);
  }
}

/** Other subgraphs reference a KnowledgeItem by id; it resolves in the caller's tenant only. */
export const knowledgeItemReference = {
  KnowledgeItem: { __resolveReference: (ref: { id: string }, ctx: KnowledgeContext) => ctx.loaders.item.load(ref.id) },
};
