import { createHmac, randomFillSync, randomUUID, timingSafeEqual } from 'node:crypto';

export const ROLES = ['OWNER', 'ADMIN', 'SUPERVISOR', 'AGENT', 'ANALYST'] as const;
export type Role = (typeof ROLES)[number];

export const API_KEY_KINDS = ['FIRST_PARTY', 'PARTNER'] as const;
export type ApiKeyKind = (typeof API_KEY_KINDS)[number];

/**
 * Who is calling, as the gateway established it. Subgraphs trust nothing else.
 * `tenantId` is absent only for anonymous callers and the gateway's own service calls.
 */
export interface Identity {
  kind: 'user' | 'apiKey' | 'anonymous' | 'service';
  tenantId?: string;
  userId?: string;
  apiKeyId?: string;
  apiKeyKind?: ApiKeyKind;
  roles: Role[];
  scopes: string[];
  /** Expiry of this signed header, seconds since the epoch. */
  exp: number;
  /** The one service this header was signed for (a subgraph's name): any other refuses it. */
  audience?: string;
  /** The client request this header belongs to: the receiver logs it and echoes it. */
  requestId?: string;
  /** A random id per signature: a receiver accepts each header once. */
  jti?: string;
  /** For `kind: 'service'`: the calling service's name (e.g. `assistants`), for logs and audit. */
  service?: string;
}

export const IDENTITY_HEADER = 'x-switchboard-identity';

/**
 * How long a signed header lives. The gateway signs one per subgraph fetch, just before
 * sending it, so this only has to cover the trip and clock skew between hosts.
 */
export const IDENTITY_TTL_SECONDS = 15;

const b64 = (buf: Buffer | string) => Buffer.from(buf).toString('base64url');

/**
 * Random ids (a header's jti, trace and span ids) from a pool of CSPRNG bytes filled 4 KiB at
 * a time, each byte used once — as node's randomUUID does — instead of one randomBytes()
 * call (a randomFillSync of its own) per id: the gateway asks for three or more per request.
 */
const POOL = Buffer.alloc(4096);
let poolOffset = POOL.length;
export function randomId(bytes: number, encoding: 'hex' | 'base64url'): string {
  if (poolOffset + bytes > POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  const out = POOL.toString(encoding, poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return out;
}

function hmac(secret: string, data: string): Buffer {
  return createHmac('sha256', secret).update(data).digest();
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Signs an identity for the header: `base64url(json).base64url(hmac)`. It is bound to one
 * target (`audience`, which the caller must give: a receiver refuses a header signed for
 * another service), one client request (`requestId`, a fresh one if none is given) and one
 * delivery (`jti`, random), and lives `ttlSeconds` from now whatever the credential's own expiry.
 */
export function signIdentity(
  identity: Omit<Identity, 'exp' | 'jti'> & { exp?: number },
  secret: string,
  ttlSeconds = IDENTITY_TTL_SECONDS,
  now = Date.now(),
): string {
  const payload: Identity = {
    ...identity,
    requestId: identity.requestId ?? randomUUID(),
    jti: randomId(12, 'base64url'),
    exp: Math.floor(now / 1000) + ttlSeconds,
  };
  const body = b64(JSON.stringify(payload));
  return `${body}.${b64(hmac(secret, `identity.${body}`))}`;
}

export type VerifyFailure = 'missing' | 'malformed' | 'signature' | 'expired' | 'audience';
export type VerifyResult = { ok: true; identity: Identity } | { ok: false; reason: VerifyFailure };

/**
 * Checks a header's signature and expiry and, given `audience`, that it was signed for
 * that service. (Accepting each `jti` once is the receiver's job: see the subgraph server.)
 */
export function verifyIdentity(header: string | undefined, secret: string | readonly string[], options: number | { now?: number; audience?: string } = {}): VerifyResult {
  const { now = Date.now(), audience } = typeof options === 'number' ? { now: options } : options;
  if (!header) return { ok: false, reason: 'missing' };
  const [body, sig, extra] = header.split('.');
  if (!body || !sig || extra !== undefined) return { ok: false, reason: 'malformed' };
  // Several secrets while one is rotated (the current one first, then INTERNAL_SECRET_PREVIOUS).
  const given = Buffer.from(sig, 'base64url');
  if (!(typeof secret === 'string' ? [secret] : secret).some((s) => safeEqual(given, hmac(s, `identity.${body}`)))) return { ok: false, reason: 'signature' };
  let identity: Identity;
  try {
    identity = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Identity;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof identity.exp !== 'number' || identity.exp * 1000 <= now) return { ok: false, reason: 'expired' };
  if (audience !== undefined && identity.audience !== audience) return { ok: false, reason: 'audience' };
  return { ok: true, identity };
}

/**
 * Remembers the `jti` of every header accepted until it expires, so a captured header is
 * accepted once: a replay (same jti) is refused. Bounded: past `max` entries the oldest
 * are forgotten (they are also the closest to expiry).
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();
  constructor(private readonly max = 200_000) {}

  /** True the first time a jti is offered before `exp` (seconds); false for a replay. */
  accept(jti: string | undefined, exp: number, now = Date.now()): boolean {
    if (!jti) return false;
    for (const [key, until] of this.seen) {
      if (until * 1000 > now && this.seen.size < this.max) break;
      this.seen.delete(key);
    }
    if (this.seen.has(jti)) return false;
    this.seen.set(jti, exp);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}

// ---------------------------------------------------------------- JWT (HS256)

export interface JwtClaims {
  sub: string;
  tid: string;
  role: Role;
  iat: number;
  exp: number;
  iss: string;
}

const JWT_HEADER = b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
export const JWT_ISSUER = 'switchboard';

export function signJwt(claims: Omit<JwtClaims, 'iat' | 'exp' | 'iss'>, secret: string, ttlSeconds: number, now = Date.now()) {
  const iat = Math.floor(now / 1000);
  const full: JwtClaims = { ...claims, iat, exp: iat + ttlSeconds, iss: JWT_ISSUER };
  const body = `${JWT_HEADER}.${b64(JSON.stringify(full))}`;
  return { token: `${body}.${b64(hmac(secret, body))}`, expiresAt: new Date(full.exp * 1000) };
}

/** Returns the claims of a valid, unexpired token from us, or null. */
export function verifyJwt(token: string, secret: string | readonly string[], now = Date.now()): JwtClaims | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [header, payload, sig] = parts as [string, string, string];
  if (header !== JWT_HEADER) return null; // only HS256, never "none"
  const given = Buffer.from(sig, 'base64url');
  if (!(typeof secret === 'string' ? [secret] : secret).some((s) => safeEqual(given, hmac(s, `${header}.${payload}`)))) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as JwtClaims;
    if (claims.iss !== JWT_ISSUER || typeof claims.exp !== 'number' || claims.exp * 1000 <= now) return null;
    if (!claims.sub || !claims.tid || !claims.role) return null;
    return claims;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- W3C trace context

export interface TraceContext {
  traceId: string;
  spanId: string;
  flags: string;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function parseTraceparent(header: string | undefined): TraceContext | null {
  const m = header ? TRACEPARENT.exec(header.trim()) : null;
  if (!m || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return null;
  return { traceId: m[1]!, spanId: m[2]!, flags: m[3]! };
}

export function formatTraceparent(ctx: TraceContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.flags}`;
}

export function newTraceContext(parent?: TraceContext | null): TraceContext {
  return { traceId: parent?.traceId ?? randomId(16, 'hex'), spanId: randomId(8, 'hex'), flags: parent?.flags ?? '01' };
}
