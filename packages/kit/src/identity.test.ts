import { ReplayGuard, formatTraceparent, parseTraceparent, randomId, signIdentity, signJwt, verifyIdentity, verifyJwt } from './identity';

const SECRET = 'a-secret-of-enough-length';

describe('signed identity header', () => {
  const identity = { kind: 'user' as const, tenantId: 't1', userId: 'u1', roles: ['AGENT' as const], scopes: [] };

  it('round-trips', () => {
    const result = verifyIdentity(signIdentity(identity, SECRET), SECRET);
    expect(result).toMatchObject({ ok: true, identity: { ...identity } });
  });

  it('refuses a missing, tampered, wrongly signed or expired header', () => {
    const good = signIdentity(identity, SECRET);
    const otherBody = Buffer.from(JSON.stringify({ ...identity, tenantId: 't2', exp: 9e9 })).toString('base64url');
    expect(verifyIdentity(undefined, SECRET)).toEqual({ ok: false, reason: 'missing' });
    expect(verifyIdentity(`${otherBody}.${good.split('.')[1]}`, SECRET)).toEqual({ ok: false, reason: 'signature' });
    expect(verifyIdentity(signIdentity(identity, 'another-secret-entirely'), SECRET)).toEqual({ ok: false, reason: 'signature' });
    expect(verifyIdentity(signIdentity(identity, SECRET, 60, Date.now() - 61_000), SECRET)).toEqual({ ok: false, reason: 'expired' });
    expect(verifyIdentity('a.b.c', SECRET)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('is bound to one audience and one request, with a fresh one-time id per signature', () => {
    const forTickets = signIdentity({ ...identity, audience: 'tickets', requestId: 'req-1' }, SECRET);
    expect(verifyIdentity(forTickets, SECRET, { audience: 'tickets' })).toMatchObject({ ok: true, identity: { audience: 'tickets', requestId: 'req-1' } });
    expect(verifyIdentity(forTickets, SECRET, { audience: 'conversations' })).toEqual({ ok: false, reason: 'audience' });
    expect(verifyIdentity(signIdentity(identity, SECRET), SECRET, { audience: 'tickets' })).toEqual({ ok: false, reason: 'audience' });
    const a = verifyIdentity(signIdentity(identity, SECRET), SECRET);
    const b = verifyIdentity(signIdentity(identity, SECRET), SECRET);
    if (!a.ok || !b.ok) throw new Error('unverified');
    expect(a.identity.jti).not.toBe(b.identity.jti);
    expect(a.identity.requestId).toMatch(/^[0-9a-f-]{36}$/);
    // Short-lived: 15 s unless the signer asks otherwise.
    expect(a.identity.exp - Date.now() / 1000).toBeLessThanOrEqual(15);
  });
});

describe('ReplayGuard', () => {
  it('accepts each jti once until it expires, and stays bounded', () => {
    const guard = new ReplayGuard(3);
    const now = 1_000_000_000;
    const exp = now / 1000 + 15;
    expect(guard.accept('a', exp, now)).toBe(true);
    expect(guard.accept('a', exp, now)).toBe(false);
    expect(guard.accept(undefined, exp, now)).toBe(false);
    expect(guard.accept('b', exp, now)).toBe(true);
    expect(guard.accept('c', exp, now)).toBe(true);
    expect(guard.accept('d', exp, now)).toBe(true);
    expect(guard.size).toBeLessThanOrEqual(3);
    // Expired entries are dropped as new ones arrive.
    expect(guard.accept('e', exp + 60, now + 30_000)).toBe(true);
    expect(guard.size).toBe(1);
  });
});

describe('JWT', () => {
  const claims = { sub: 'u1', tid: 't1', role: 'OWNER' as const };

  it('verifies its own tokens until they expire', () => {
    const { token, expiresAt } = signJwt(claims, SECRET, 60);
    expect(verifyJwt(token, SECRET)).toMatchObject(claims);
    expect(verifyJwt(token, SECRET, expiresAt.getTime() + 1)).toBeNull();
  });

  it('refuses alg "none" and other signers', () => {
    const { token } = signJwt(claims, SECRET, 60);
    const [, payload] = token.split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    expect(verifyJwt(none, SECRET)).toBeNull();
    expect(verifyJwt(signJwt(claims, 'not-our-secret-at-all', 60).token, SECRET)).toBeNull();
  });
});

describe('traceparent', () => {
  it('parses a valid header and refuses invalid ones', () => {
    const header = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const ctx = parseTraceparent(header);
    expect(ctx).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: '01' });
    expect(formatTraceparent(ctx!)).toBe(header);
    expect(parseTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01')).toBeNull();
    expect(parseTraceparent('garbage')).toBeNull();
  });
});

describe('secret rotation', () => {
  const OLD = 'old-secret-0123456789abcdef';
  const NEW = 'new-secret-0123456789abcdef';
  it('accepts headers and tokens signed with the previous secret while it is listed, and only then', () => {
    const header = signIdentity({ kind: 'user', tenantId: 't', userId: 'u', roles: ['OWNER'], scopes: [] }, OLD);
    expect(verifyIdentity(header, [NEW, OLD]).ok).toBe(true);
    expect(verifyIdentity(header, NEW)).toEqual({ ok: false, reason: 'signature' });
    const { token } = signJwt({ sub: 'u', tid: 't', role: 'OWNER' }, OLD, 60);
    expect(verifyJwt(token, [NEW, OLD])?.sub).toBe('u');
    expect(verifyJwt(token, NEW)).toBeNull();
    expect(verifyJwt(signJwt({ sub: 'u', tid: 't', role: 'OWNER' }, NEW, 60).token, [NEW, OLD])?.sub).toBe('u');
  });
});

describe('randomId', () => {
  it('gives distinct ids of the asked length, across refills of its pool', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => randomId(12, 'base64url')));
    expect(ids.size).toBe(1000);
    expect([...ids].every((id) => id.length === 16)).toBe(true);
    expect(randomId(8, 'hex')).toMatch(/^[0-9a-f]{16}$/);
  });
});
