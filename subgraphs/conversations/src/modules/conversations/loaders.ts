import { authorize } from '@switchboard/kit';
import DataLoader from 'dataloader';
import type { ConversationsContext } from '../../context';
import type { Message } from '../../store/types';
import { READ } from './conversations.service';

/**
 * Per-request loaders the module keeps beside the context (keyed by the context object, so
 * they live exactly as long as the request): the gateway's `_entities` fetch for N messages
 * (a subscription's events, a cross-subgraph join) costs one store read, not N.
 */
const byContext = new WeakMap<ConversationsContext, DataLoader<string, Message | null>>();

export function messageLoader(ctx: ConversationsContext): DataLoader<string, Message | null> {
  let loader = byContext.get(ctx);
  if (!loader) {
    const caller = authorize(ctx.identity, READ);
    loader = new DataLoader(async (ids) => {
      const found = await ctx.store.getMessages(caller.tenantId, ids);
      const byId = new Map(found.map((m) => [m.id, m]));
      return ids.map((id) => byId.get(id) ?? null);
    });
    byContext.set(ctx, loader);
  }
  return loader;
}
