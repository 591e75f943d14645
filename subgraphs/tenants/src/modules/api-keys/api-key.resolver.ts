import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { TenantsContext } from '../../context';
import { ApiKey } from './api-key.entity';
import { createApiKey, listApiKeys, revokeApiKey } from './api-keys.service';
import { CreateApiKeyInput, CreateApiKeyPayload } from './inputs';

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @Query(() => [ApiKey], {
    nullable: true,
    description:
      'OWNER or ADMIN: your tenant’s API keys, newest first (secrets are never shown again). At most `first` (default 20, at most 100); for the next page pass the last key’s id as `after`.',
  })
  apiKeys(
    @Ctx() ctx: TenantsContext,
    @Arg('first', () => Int, { nullable: true, description: 'How many keys (1-100; default 20).' }) first?: number | null,
    @Arg('after', () => ID, { nullable: true, description: 'The id of the last key of the previous page.' }) after?: string | null,
  ): Promise<ApiKey[]> {
    return listApiKeys(ctx, { first, after });
  }

  @Mutation(() => CreateApiKeyPayload, { description: 'OWNER or ADMIN. The secret is in this answer only.' })
  createApiKey(@Arg('input') input: CreateApiKeyInput, @Ctx() ctx: TenantsContext): Promise<CreateApiKeyPayload> {
    return createApiKey(ctx, input);
  }

  @Mutation(() => ApiKey, { description: 'OWNER or ADMIN. The key stops working at once.' })
  revokeApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: TenantsContext): Promise<ApiKey> {
    return revokeApiKey(ctx, id);
  }
}
