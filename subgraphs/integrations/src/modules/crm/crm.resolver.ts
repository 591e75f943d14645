import { ADMIN_ROLES, AppError, BadInputError, ConflictError, NotFoundError, authorize, isUuid } from '@switchboard/kit';
import { Arg, Ctx, Field, ID, InputType, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import type { IntegrationsContext } from '../../context';
import { CrmConnector, CrmProvider } from './crm.entity';
import { HubSpotError } from './hubspot';

/** OWNER/ADMIN, or an API key with `integrations:write` (reading: `integrations:read`). */
const MANAGE = { roles: ADMIN_ROLES, scope: 'integrations:write' } as const;
const READ = { roles: ADMIN_ROLES, scope: 'integrations:read' } as const;
const MAX_CONNECTORS = 5;

@InputType({ description: 'A CRM to keep contacts in step with.' })
export class CrmConnectorInput {
  @Field(() => CrmProvider)
  provider!: CrmProvider;

  @Field({ description: 'HubSpot: a private app’s access token with crm.objects.contacts.read and .write. Stored encrypted, never shown again.' })
  accessToken!: string;
}

@ObjectType({ description: 'What one sync step did.' })
export class CrmSyncResult {
  @Field(() => Int, { description: 'Contacts written to the CRM.' })
  pushed!: number;

  @Field(() => Int, { description: 'Contacts written here from the CRM.' })
  pulled!: number;

  @Field(() => Int, { description: 'Contacts changed on both sides since the last sync: the later change (last-modified time) won.' })
  conflicts!: number;
}

async function connectorOf(ctx: IntegrationsContext, id: string): Promise<CrmConnector> {
  const caller = authorize(ctx.identity, READ);
  const found = isUuid(id) ? await ctx.em.findOne(CrmConnector, { id, tenantId: caller.tenantId }) : null;
  if (!found) throw new NotFoundError('CrmConnector', id);
  return found;
}

@Resolver(() => CrmConnector)
export class CrmConnectorResolver {
  @Query(() => [CrmConnector], { nullable: true, description: 'OWNER/ADMIN: your tenant’s CRM connectors.' })
  crmConnectors(@Ctx() ctx: IntegrationsContext): Promise<CrmConnector[]> {
    const caller = authorize(ctx.identity, READ);
    return ctx.em.find(CrmConnector, { tenantId: caller.tenantId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  @Mutation(() => CrmConnector, { description: 'OWNER/ADMIN. Contacts sync both ways from now on: new and changed contacts go to the CRM, the CRM’s changes are pulled every CRM_SYNC_INTERVAL_MS.' })
  async createCrmConnector(@Arg('input') input: CrmConnectorInput, @Ctx() ctx: IntegrationsContext): Promise<CrmConnector> {
    const caller = authorize(ctx.identity, MANAGE);
    const token = input.accessToken?.trim() ?? '';
    if (token.length < 8 || token.length > 1000) throw new BadInputError('accessToken', 'accessToken must be 8–1000 characters');
    if ((await ctx.em.count(CrmConnector, { tenantId: caller.tenantId })) >= MAX_CONNECTORS) throw new BadInputError('provider', `a tenant has at most ${MAX_CONNECTORS} CRM connectors`);
    const connector = ctx.em.create(CrmConnector, { tenantId: caller.tenantId, provider: input.provider, accessTokenSealed: ctx.secrets.seal(token), createdAt: ctx.clock() });
    await ctx.em.flush();
    return connector;
  }

  @Mutation(() => Boolean, { description: 'OWNER/ADMIN. Stops syncing; contacts stay as they are on both sides.' })
  async deleteCrmConnector(@Arg('id', () => ID) id: string, @Ctx() ctx: IntegrationsContext): Promise<boolean> {
    authorize(ctx.identity, MANAGE);
    ctx.em.remove(await connectorOf(ctx, id)); // its links go with it (on delete cascade)
    await ctx.em.flush();
    return true;
  }

  @Mutation(() => CrmSyncResult, { description: 'OWNER/ADMIN. Pulls the CRM’s changes now instead of at the next interval. CONFLICT while another sync of it runs.' })
  async syncCrmConnector(@Arg('id', () => ID) id: string, @Ctx() ctx: IntegrationsContext): Promise<CrmSyncResult> {
    const caller = authorize(ctx.identity, MANAGE);
    const connector = await connectorOf(ctx, id);
    let result: CrmSyncResult | null;
    try {
      result = await ctx.crm().pull(connector.id, caller.tenantId);
    } catch (error) {
      throw new AppError('UPSTREAM_UNAVAILABLE', `the CRM sync failed: ${error instanceof HubSpotError ? error.message : 'see lastError'}`);
    }
    if (!result) throw new ConflictError(`a sync of this connector is running, or it is not ACTIVE (${connector.status}); try again in a moment`);
    return result;
  }
}
