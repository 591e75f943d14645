import { authorize, BadInputError } from '@switchboard/kit';
import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { ModelsContext } from '../../context';
import {
  COMPLETE,
  USAGE,
  createModel,
  createProvider,
  deleteModel,
  deleteProvider,
  getPolicy,
  listModels,
  listProviders,
  modelView,
  setPolicy,
  updateModel,
  updateProvider,
} from './catalog.service';
import {
  CompleteInput,
  Completion,
  Model,
  ModelInput,
  ModelUpdateInput,
  Provider,
  ProviderInput,
  ProviderUpdateInput,
  RoutingPolicy,
  RoutingPolicyInput,
  RoutingSimulation,
  UsageGroupBy,
  UsageRow,
} from './types';

@Resolver()
export class ModelsResolver {
  @Query(() => [Provider], { nullable: true, description: 'Your tenant’s providers, then the platform’s.' })
  providers(@Ctx() ctx: ModelsContext) {
    return listProviders(ctx);
  }

  @Query(() => [Model], { nullable: true, description: 'Every model your tenant may route to, with its circuit breaker’s health.' })
  models(@Ctx() ctx: ModelsContext) {
    return listModels(ctx);
  }

  @Query(() => RoutingPolicy, { description: 'Your tenant’s routing policy (the default one until set).' })
  routingPolicy(@Ctx() ctx: ModelsContext) {
    return getPolicy(ctx);
  }

  @Mutation(() => Provider, { description: 'Adds a provider (OWNER/ADMIN). A private base URL is refused unless the operator allows it.' })
  createProvider(@Arg('input', () => ProviderInput) input: ProviderInput, @Ctx() ctx: ModelsContext) {
    return createProvider(ctx, input);
  }

  @Mutation(() => Provider, { description: 'Changes a provider (OWNER/ADMIN).' })
  updateProvider(@Arg('id', () => ID) id: string, @Arg('input', () => ProviderUpdateInput) input: ProviderUpdateInput, @Ctx() ctx: ModelsContext) {
    return updateProvider(ctx, id, input);
  }

  @Mutation(() => Boolean, { description: 'Deletes a provider and its models (OWNER/ADMIN).' })
  deleteProvider(@Arg('id', () => ID) id: string, @Ctx() ctx: ModelsContext) {
    return deleteProvider(ctx, id);
  }

  @Mutation(() => Model, { description: 'Adds a model to one of your providers (OWNER/ADMIN).' })
  createModel(@Arg('input', () => ModelInput) input: ModelInput, @Ctx() ctx: ModelsContext) {
    return createModel(ctx, input);
  }

  @Mutation(() => Model, { description: 'Changes a model’s name, prices, context window or quality (OWNER/ADMIN).' })
  updateModel(@Arg('id', () => ID) id: string, @Arg('input', () => ModelUpdateInput) input: ModelUpdateInput, @Ctx() ctx: ModelsContext) {
    return updateModel(ctx, id, input);
  }

  @Mutation(() => Boolean, { description: 'Deletes one of your models (OWNER/ADMIN).' })
  deleteModel(@Arg('id', () => ID) id: string, @Ctx() ctx: ModelsContext) {
    return deleteModel(ctx, id);
  }

  @Mutation(() => RoutingPolicy, { description: 'Sets your tenant’s routing policy (OWNER/ADMIN).' })
  setRoutingPolicy(@Arg('input', () => RoutingPolicyInput) input: RoutingPolicyInput, @Ctx() ctx: ModelsContext) {
    return setPolicy(ctx, input);
  }

  @Mutation(() => Completion, {
    description: 'A chat completion through routing, fallback, cache, budget and PII masking. Roles that work conversations, or API keys with `models:complete`.',
  })
  complete(@Arg('input', () => CompleteInput) input: CompleteInput, @Ctx() ctx: ModelsContext) {
    const caller = authorize(ctx.identity, COMPLETE);
    return ctx.llm.complete(caller.tenantId, input);
  }

  @Query(() => RoutingSimulation, { description: 'What `complete` would choose for this input, and its estimated cost; calls nothing.' })
  async simulateRouting(@Arg('input', () => CompleteInput) input: CompleteInput, @Ctx() ctx: ModelsContext): Promise<RoutingSimulation> {
    const caller = authorize(ctx.identity, COMPLETE);
    const sim = await ctx.llm.simulate(caller.tenantId, input);
    return { model: sim.model && modelView(ctx, sim.model), chain: sim.chain.map((m) => modelView(ctx, m)), inputTokens: sim.inputTokens, estimatedCostUsd: sim.estimatedCostUsd };
  }

  @Query(() => [UsageRow], { description: 'Calls, tokens, cost and cache hits between two days (inclusive, UTC), grouped as asked.' })
  aiUsage(
    @Arg('from', () => Date) from: Date,
    @Arg('to', () => Date) to: Date,
    @Ctx() ctx: ModelsContext,
    @Arg('groupBy', () => [UsageGroupBy], { nullable: true }) groupBy?: UsageGroupBy[] | null,
  ) {
    const caller = authorize(ctx.identity, USAGE);
    if (to < from) throw new BadInputError('to', 'to must not be before from');
    if (to.getTime() - from.getTime() > 400 * 86_400_000) throw new BadInputError('to', 'at most 400 days at a time');
    return ctx.llm.usage(caller.tenantId, from, to, groupBy ?? []);
  }
}
