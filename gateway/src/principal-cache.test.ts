import { signJwt, type Notifier } from '@switchboard/kit';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAuthenticator, type Principal } from './authenticate';
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

describe('PrincipalCache: refresh-ahead', () => {
  const ttl = 30_000;

  it('claims a used entry once in the last quarter of its TTL, and not one its key expiry bounds', () => {
    const { notifier } = fakeNotifier();
    const clock = { now: Date.parse('2026-12-01T00:00:00Z') };
    const cache = new PrincipalCache<CachedPrincipal>(notifier, ttl, () => clock.now);
    cache.set(key, alice, cache.ticket());
    clock.now += 20_000;
    expect(cache.claimRefresh(key)).toBe(false); // 10 s left: not yet
    clock.now += 3_000;
    expect(cache.claimRefresh(key)).toBe(true); // 7 s left
    expect(cache.claimRefresh(key)).toBe(false); // claimed already
    expect(cache.get(key)).toEqual(alice); // still served meanwhile
    cache.set(key, alice, cache.ticket()); // the refresh's answer
    clock.now += 23_000;
    expect(cache.claimRefresh(key)).toBe(true);
    cache.forget(key);
    expect(cache.get(key)).toBeUndefined();
    expect(cache.claimRefresh(key)).toBe(false);

    // A key expiring in 20 s: its entry ends then whatever tenants says, so it is never re-asked early.
    cache.set('k', { tenantId: 't1', apiKeyId: 'k1', validUntil: new Date(clock.now + 20_000).toISOString() }, cache.ticket());
    clock.now += 15_000;
    expect(cache.claimRefresh('k')).toBe(false);
    expect(cache.get('k')).toMatchObject({ apiKeyId: 'k1' });
  });

  describe('through the authenticator, against a tenants stand-in over HTTP', () => {
    const SECRET = 'refresh-ahead-test-secret-0123456789';
    let server: http.Server;
    let url = '';
    /** Questions tenants was asked, and how it answers the next ones. */
    const tenants = { asked: 0, valid: true, down: false, hold: undefined as Promise<void> | undefined };
    beforeAll(async () => {
      server = http.createServer((req, res) => {
        req.resume();
        req.on('end', async () => {
          tenants.asked++;
          await tenants.hold;
          if (tenants.down) return void res.writeHead(503).end();
          const principal: Principal = { kind: 'user', tenantId: 't1', userId: 'u1', roles: ['AGENT'], scopes: [], requestsPerMinute: 600 };
          res.writeHead(tenants.valid ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify(tenants.valid ? principal : { error: 'unknown credential' }));
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise((r) => server.close(r)));

    function setup() {
      Object.assign(tenants, { asked: 0, valid: true, down: false, hold: undefined });
      const clock = { now: Date.now() };
      const cache = new PrincipalCache<Principal>(fakeNotifier().notifier, ttl, () => clock.now);
      const auth = createAuthenticator({ jwtSecret: SECRET, internalSecret: SECRET, tenantsUrl: () => url, timeoutMs: 2_000, cache });
      const authorization = `Bearer ${signJwt({ sub: 'u1', tid: 't1', role: 'AGENT' }, SECRET, 600).token}`;
      /** Lets the background refresh's answer arrive (it is not awaited by anyone). */
      const settle = () => new Promise((r) => setTimeout(r, 100));
      return { clock, auth, authenticate: () => auth.authenticate({ authorization }), settle };
    }

    it('answers a caller who keeps calling from memory while it re-asks tenants in the background', async () => {
      const { clock, auth, authenticate, settle } = setup();
      try {
        expect((await authenticate()).identity.userId).toBe('u1');
        expect(tenants.asked).toBe(1); // the first request waits for the lookup
        clock.now += 10_000;
        await authenticate();
        expect(tenants.asked).toBe(1); // remembered, far from the TTL's end

        // 25 s in: answered at once, even while tenants has not answered the refresh yet.
        let release!: () => void;
        tenants.hold = new Promise<void>((r) => (release = r));
        clock.now += 15_000;
        expect((await authenticate()).identity.userId).toBe('u1');
        await settle();
        expect(tenants.asked).toBe(2);
        release();
        await settle();

        // 40 s in, past the first answer's TTL: the refreshed answer stands, nobody waits.
        clock.now += 15_000;
        await authenticate();
        await settle();
        expect(tenants.asked).toBe(2);
      } finally {
        auth.close();
      }
    });

    it('drops a credential the refresh finds gone, so the next request is refused', async () => {
      const { clock, auth, authenticate, settle } = setup();
      try {
        await authenticate();
        tenants.valid = false; // suspended where no notice comes from
        clock.now += 25_000;
        await authenticate(); // still within the TTL: served, and the refresh learns the news
        await settle();
        await expect(authenticate()).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
        expect(tenants.asked).toBe(3);
      } finally {
        auth.close();
      }
    });

    it('re-asks once when tenants cannot answer, and then the TTL ends the entry as before', async () => {
      const { clock, auth, authenticate, settle } = setup();
      try {
        await authenticate();
        tenants.down = true;
        clock.now += 25_000;
        await authenticate();
        await settle();
        await authenticate();
        await settle();
        expect(tenants.asked).toBe(2); // one refresh, not one per request
        clock.now += 6_000; // past the TTL: the request path asks, and tenants is still down
        await expect(authenticate()).rejects.toMatchObject({ extensions: { code: 'UPSTREAM_UNAVAILABLE' } });
        expect(tenants.asked).toBe(3);
      } finally {
        auth.close();
      }
    });
  });
});
