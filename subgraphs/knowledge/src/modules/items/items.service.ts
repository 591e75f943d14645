import { ALL_ROLES, BadInputError, NotFoundError, authorize, paginate, type Page, type Role } from '@switchboard/kit';
import type { KnowledgeContext } from '../../context';
import { KnowledgeItem } from './item.entity';

/** Who may write: everyone but read-only analysts (and API keys with `knowledge:write`). */
const WRITERS: readonly Role[] = ['OWNER', 'ADMIN', 'SUPERVISOR', 'AGENT'];
const MAX_NAME = 200;

export function listItems(ctx: KnowledgeContext, args: { first?: number | null; after?: string | null }): Promise<Page<KnowledgeItem>> {
  const caller = authorize(ctx.identity, { roles: ALL_ROLES, scope: 'knowledge:read' });
  return paginate(ctx.em, KnowledgeItem, { tenantId: caller.tenantId }, args);
}

/** Another tenant's item answers NOT_FOUND, like one that does not exist. */
export async function getItem(ctx: KnowledgeContext, id: string): Promise<KnowledgeItem> {
  authorize(ctx.identity, { roles: ALL_ROLES, scope: 'knowledge:read' });
  const item = await ctx.loaders.item.load(id);
  if (!item) throw new NotFoundError('KnowledgeItem', id);
  return item;
}

export async function createItem(ctx: KnowledgeContext, input: { name: string }): Promise<KnowledgeItem> {
  const caller = authorize(ctx.identity, { roles: WRITERS, scope: 'knowledge:write' });
  const name = input.name.trim();
  if (!name || name.length > MAX_NAME) throw new BadInputError('name', `name must be 1–${MAX_NAME} characters`);
  const item = ctx.em.create(KnowledgeItem, { tenantId: caller.tenantId, name });
  await ctx.em.flush();
  return item;
}
