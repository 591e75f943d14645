import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { TenantsContext } from '../../context';
import { ApiKey } from './api-key.entity';
import { createApiKey, listApiKeys, revokeApiKey } from './api-keys.service';
import { CreateApiKeyInput, CreateApiKeyPayload } from './inputs';

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @Query(() => [ApiKey], { description: 'OWNER or ADMIN: your tenant’s API keys, newest first (secrets are never shown again).' })
  apiKeys(@Ctx() ctx: TenantsContext): Promise<ApiKey[]> {
    return listApiKeys(ctx);
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
