import { BadInputError, authorize, isUuid, listSize } from '@switchboard/kit';
import type { TicketsContext } from '../../context';
import type { ListPage } from '../../loaders';
import { READ } from './tickets.service';

/** Plain lists under one object (a ticket's comments and history, a conversation's tickets). */
export const LIST_DEFAULT = 20;
export const LIST_MAX = 100;

/** The page a list field's `first`/`after` ask for; BAD_USER_INPUT naming the argument when out of range. */
export function listPage(ctx: TicketsContext, first: number | null | undefined, after: string | null | undefined): ListPage {
  authorize(ctx.identity, READ);
  if (after !== null && after !== undefined && !isUuid(after)) throw new BadInputError('after', 'after is the id of an item of this list');
  return { first: listSize(first, 'first', LIST_DEFAULT, LIST_MAX), after: after ?? null, publicOnly: ctx.identity.apiKeyKind === 'PARTNER' };
}
