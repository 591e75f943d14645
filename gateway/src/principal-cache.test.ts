import type { Notifier } from '@switchboard/kit';
import { PrincipalCache, type CachedPrincipal } from './principal-cache';

/** A notifier whose channel is always up, delivering what the test publishes. */
function fakeNotifier() {
  let listener: ((message: Record<string, unknown>) => void) | undefined;
  const notifier = {
    subscribe: (_channel: string, onMessage: (message: Record<string, unknown>) => void) => {
      listener = onMessage;
      return { connected: () => true, close: () => {} };
    },
    publish: async () => {},
  } as unknown as Notifier;
  return { notifier, notice: (change: Record<string, unknown>) => listener!(change) };
}

const alice: CachedPrincipal & { roles: string[] } = { tenantId: 't1', userId: 'u1', roles: ['ADMIN'] };
const key = PrincipalCache.keyFor({ tenantId: 't1', userId: 'u1' });

describe('PrincipalCache and the lookup race', () => {
  it('does not cache an answer whose lookup started before a notice about its user', () => {
    const { notifier, notice } = fakeNotifier();
    const cache = new PrincipalCache<typeof alice>(notifier, 30_000);
    const ticket = cache.ticket(); // the lookup starts, reads the old role…
    notice({ userId: 'u1' }); // …the role changes and the notice arrives…
    cache.set(key, alice, ticket); // …then the stale answer comes back
    expect(cache.get(key)).toBeUndefined();
  });

  it('does not cache it after a notice about its tenant or API key either', () => {
    const { notifier, notice } = fakeNotifier();
    const cache = new PrincipalCache<CachedPrincipal>(notifier, 30_000);
    const ticket = cache.ticket();
    notice({ tenantId: 't1' });
    cache.set(key, alice, ticket);
    expect(cache.get(key)).toBeUndefined();
    const apiKey = { tenantId: 't2', apiKeyId: 'k1' };
    const kTicket = cache.ticket();
    notice({ apiKeyId: 'k1' });
    cache.set('k', apiKey, kTicket);
    expect(cache.get('k')).toBeUndefined();
  });

  it('caches an answer whose lookup started after the notice, and one unrelated to it', () => {
    const { notifier, notice } = fakeNotifier();
    const cache = new PrincipalCache<CachedPrincipal>(notifier, 30_000);
    const before = cache.ticket();
    notice({ userId: 'someone-else' });
    cache.set(key, alice, before);
    expect(cache.get(key)).toEqual(alice);
    notice({ userId: 'u1' });
    expect(cache.get(key)).toBeUndefined(); // the notice dropped it
    const after = cache.ticket();
    cache.set(key, alice, after);
    expect(cache.get(key)).toEqual(alice);
  });

  it('refuses every lookup under way when it forgets old notices (bounded memory) or is cleared', () => {
    const { notifier, notice } = fakeNotifier();
    const cache = new PrincipalCache<CachedPrincipal>(notifier, 30_000, Date.now, 3);
    const ticket = cache.ticket();
    for (let i = 0; i < 5; i++) notice({ userId: `other-${i}` });
    cache.set(key, alice, ticket);
    expect(cache.get(key)).toBeUndefined();
    const t2 = cache.ticket();
    cache.clear();
    cache.set(key, alice, t2);
    expect(cache.get(key)).toBeUndefined();
  });
});
