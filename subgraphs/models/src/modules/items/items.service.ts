import { ALL_ROLES, BadInputError, NotFoundError, authorize, paginate, type Page, type Role } from '@switchboard/kit';
import type { ModelsContext } from '../../context';
import { ModelsItem } from './item.entity';

/** Who may write: everyone but read-only analysts (and API keys with `models:write`). */
const WRITERS: readonly Role[] = ['OWNER', 'ADMIN', 'SUPERVISOR', 'AGENT'];
const MAX_NAME = 200;

export function listItems(ctx: ModelsContext, args: { first?: number | null; after?: string | null }): Promise<Page<ModelsItem>> {
  const caller = authorize(ctx.identity, { roles: ALL_ROLES, scope: 'models:read' });
  return paginate(ctx.em, ModelsItem, { tenantId: caller.tenantId }, args);
}

/** Another tenant's item answers NOT_FOUND, like one that does not exist. */
export async function getItem(ctx: ModelsContext, id: string): Promise<ModelsItem> {
  authorize(ctx.identity, { roles: ALL_ROLES, scope: 'models:read' });
  const item = await ctx.loaders.item.load(id);
  if (!item) throw new NotFoundError('ModelsItem', id);
  return item;
}

export async function createItem(ctx: ModelsContext, input: { name: string }): Promise<ModelsItem> {
  const caller = authorize(ctx.identity, { roles: WRITERS, scope: 'models:write' });
  const name = input.name.trim();
  if (!name || name.length > MAX_NAME) throw new BadInputError('name', `name must be 1–${MAX_NAME} characters`);
  const item = ctx.em.create(ModelsItem, { tenantId: caller.tenantId, name });
  await ctx.em.flush();
  return item;
}
