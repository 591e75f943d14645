import { ALL_ROLES, BadInputError, NotFoundError, authorize, paginate, type Page, type Role } from '@switchboard/kit';
import type { AnalyticsContext } from '../../context';
import { AnalyticsItem } from './item.entity';

/** Who may write: everyone but read-only analysts (and API keys with `analytics:write`). */
const WRITERS: readonly Role[] = ['OWNER', 'ADMIN', 'SUPERVISOR', 'AGENT'];
const MAX_NAME = 200;

export function listItems(ctx: AnalyticsContext, args: { first?: number | null; after?: string | null }): Promise<Page<AnalyticsItem>> {
  const caller = authorize(ctx.identity, { roles: ALL_ROLES, scope: 'analytics:read' });
  return paginate(ctx.em, AnalyticsItem, { tenantId: caller.tenantId }, args);
}

/** Another tenant's item answers NOT_FOUND, like one that does not exist. */
export async function getItem(ctx: AnalyticsContext, id: string): Promise<AnalyticsItem> {
  authorize(ctx.identity, { roles: ALL_ROLES, scope: 'analytics:read' });
  const item = await ctx.loaders.item.load(id);
  if (!item) throw new NotFoundError('AnalyticsItem', id);
  return item;
}

export async function createItem(ctx: AnalyticsContext, input: { name: string }): Promise<AnalyticsItem> {
  const caller = authorize(ctx.identity, { roles: WRITERS, scope: 'analytics:write' });
  const name = input.name.trim();
  if (!name || name.length > MAX_NAME) throw new BadInputError('name', `name must be 1–${MAX_NAME} characters`);
  const item = ctx.em.create(AnalyticsItem, { tenantId: caller.tenantId, name });
  await ctx.em.flush();
  return item;
}
