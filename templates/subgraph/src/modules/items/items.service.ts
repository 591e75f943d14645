import { ALL_ROLES, BadInputError, NotFoundError, authorize, noNul, paginate, type Page, type Role } from '@switchboard/kit';
import type { SampleContext } from '../../context';
import { SampleItem } from './item.entity';

/** Who may write: everyone but read-only analysts (and API keys with `sample:write`). */
const WRITERS: readonly Role[] = ['OWNER', 'ADMIN', 'SUPERVISOR', 'AGENT'];
const MAX_NAME = 200;

export function listItems(ctx: SampleContext, args: { first?: number | null; after?: string | null }): Promise<Page<SampleItem>> {
  const caller = authorize(ctx.identity, { roles: ALL_ROLES, scope: 'sample:read' });
  return paginate(ctx.em, SampleItem, { tenantId: caller.tenantId }, args);
}

/** Another tenant's item answers NOT_FOUND, like one that does not exist. */
export async function getItem(ctx: SampleContext, id: string): Promise<SampleItem> {
  authorize(ctx.identity, { roles: ALL_ROLES, scope: 'sample:read' });
  const item = await ctx.loaders.item.load(id);
  if (!item) throw new NotFoundError('SampleItem', id);
  return item;
}

export async function createItem(ctx: SampleContext, input: { name: string }): Promise<SampleItem> {
  const caller = authorize(ctx.identity, { roles: WRITERS, scope: 'sample:write' });
  const name = noNul(input.name, 'name').trim(); // PostgreSQL cannot store NUL
  if (!name || name.length > MAX_NAME) throw new BadInputError('name', `name must be 1–${MAX_NAME} characters`);
  const item = ctx.em.create(SampleItem, { tenantId: caller.tenantId, name });
  await ctx.em.flush();
  return item;
}
