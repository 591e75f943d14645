import type { Notifier } from '@switchboard/kit';
import { PrincipalCache, type CachedPrincipal } from './principal-cache';

/** A notifier whose channel is always up, delivering what the test publishes. */
function fakeNotifier() {
  let listener: ((message: Record<string, unknown>) => void) | undefined;
  const link = { up: true, epoch: 1 };
  const notifier = {
    subscribe: (_channel: string, onMessage: (message: Record<string, unknown>) => void) => {
      listener = onMessage;
      return { connected: () => link.up, epoch: () => link.epoch, close: () => {} };
    },
    publish: async () => {},
  } as unknown as Notifier;
  return { notifier, link, notice: (change: Record<string, unknown>) => listener!(change) };
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

describe('PrincipalCache: the last known principal while tenants cannot be asked', () => {
  const ttl = 30_000;
  const staleFor = 900_000;
  function setup() {
    const { notifier, link, notice } = fakeNotifier();
    const clock = { now: 1_000_000 };
    const cache = new PrincipalCache<CachedPrincipal>(notifier, ttl, () => clock.now, 10_000, staleFor);
    cache.set(key, alice, cache.ticket());
    return { cache, clock, link, notice };
  }

  it('serves it past the TTL, within the stale window only, and never as a fresh answer', () => {
    const { cache, clock } = setup();
    clock.now += ttl + 1;
    expect(cache.get(key)).toBeUndefined(); // tenants is asked again…
    expect(cache.lastKnown(key)).toEqual(alice); // …and if it cannot answer, this stands
    clock.now += staleFor;
    expect(cache.lastKnown(key)).toBeUndefined();
  });

  it('forgets it on a notice about its user or tenant', () => {
    for (const change of [{ userId: 'u1' }, { tenantId: 't1' }]) {
      const { cache, notice } = setup();
      notice(change);
      expect(cache.lastKnown(key)).toBeUndefined();
    }
  });

  it('serves nothing while the notices are not heard, and forgets what it had once they are heard again', () => {
    const { cache, link } = setup();
    link.up = false;
    expect(cache.lastKnown(key)).toBeUndefined();
    link.up = true;
    link.epoch += 1; // resubscribed: a revocation may have been announced in the gap
    expect(cache.lastKnown(key)).toBeUndefined();
    expect(cache.get(key)).toBeUndefined();
  });

  it('never serves an API key past its own expiry', () => {
    const { notifier } = fakeNotifier();
    const clock = { now: Date.parse('2026-12-01T00:00:00Z') };
    const cache = new PrincipalCache<CachedPrincipal>(notifier, ttl, () => clock.now, 10_000, staleFor);
    cache.set('k', { tenantId: 't1', apiKeyId: 'k1', validUntil: '2026-12-01T00:01:00Z' }, cache.ticket());
    clock.now += 59_000;
    expect(cache.lastKnown('k')).toMatchObject({ apiKeyId: 'k1' });
    clock.now += 2_000;
    expect(cache.lastKnown('k')).toBeUndefined();
  });

  it('keeps no stale window when it is 0 (PRINCIPAL_STALE_IF_ERROR_SECONDS=0)', () => {
    const { notifier } = fakeNotifier();
    const clock = { now: 0 };
    const cache = new PrincipalCache<CachedPrincipal>(notifier, ttl, () => clock.now);
    cache.set(key, alice, cache.ticket());
    clock.now += ttl + 1;
    expect(cache.lastKnown(key)).toBeUndefined();
  });
});
