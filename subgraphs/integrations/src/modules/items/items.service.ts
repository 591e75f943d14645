import { ALL_ROLES, BadInputError, NotFoundError, authorize, paginate, type Page, type Role } from '@switchboard/kit';
import type { IntegrationsContext } from '../../context';
import { IntegrationsItem } from './item.entity';

/** Who may write: everyone but read-only analysts (and API keys with `integrations:write`). */
const WRITERS: readonly Role[] = ['OWNER', 'ADMIN', 'SUPERVISOR', 'AGENT'];
const MAX_NAME = 200;

export function listItems(ctx: IntegrationsContext, args: { first?: number | null; after?: string | null }): Promise<Page<IntegrationsItem>> {
  const caller = authorize(ctx.identity, { roles: ALL_ROLES, scope: 'integrations:read' });
  return paginate(ctx.em, IntegrationsItem, { tenantId: caller.tenantId }, args);
}

/** Another tenant's item answers NOT_FOUND, like one that does not exist. */
export async function getItem(ctx: IntegrationsContext, id: string): Promise<IntegrationsItem> {
  authorize(ctx.identity, { roles: ALL_ROLES, scope: 'integrations:read' });
  const item = await ctx.loaders.item.load(id);
  if (!item) throw new NotFoundError('IntegrationsItem', id);
  return item;
}

export async function createItem(ctx: IntegrationsContext, input: { name: string }): Promise<IntegrationsItem> {
  const caller = authorize(ctx.identity, { roles: WRITERS, scope: 'integrations:write' });
  const name = input.name.trim();
  if (!name || name.length > MAX_NAME) throw new BadInputError('name', `name must be 1–${MAX_NAME} characters`);
  const item = ctx.em.create(IntegrationsItem, { tenantId: caller.tenantId, name });
  await ctx.em.flush();
  return item;
}
