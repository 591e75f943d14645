import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

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
}

export const IDENTITY_HEADER = 'x-switchboard-identity';

const b64 = (buf: Buffer | string) => Buffer.from(buf).toString('base64url');

function hmac(secret: string, data: string): Buffer {
  return createHmac('sha256', secret).update(data).digest();
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Signs an identity for the header: `base64url(json).base64url(hmac)`. The header lives
 * `ttlSeconds` from now, whatever the credential's own expiry: it covers one request.
 */
export function signIdentity(identity: Omit<Identity, 'exp'> & { exp?: number }, secret: string, ttlSeconds = 60, now = Date.now()): string {
  const payload: Identity = { ...identity, exp: Math.floor(now / 1000) + ttlSeconds };
  const body = b64(JSON.stringify(payload));
  return `${body}.${b64(hmac(secret, `identity.${body}`))}`;
}

export type VerifyResult = { ok: true; identity: Identity } | { ok: false; reason: 'missing' | 'malformed' | 'signature' | 'expired' };

export function verifyIdentity(header: string | undefined, secret: string, now = Date.now()): VerifyResult {
  if (!header) return { ok: false, reason: 'missing' };
  const [body, sig, extra] = header.split('.');
  if (!body || !sig || extra !== undefined) return { ok: false, reason: 'malformed' };
  if (!safeEqual(Buffer.from(sig, 'base64url'), hmac(secret, `identity.${body}`))) return { ok: false, reason: 'signature' };
  let identity: Identity;
  try {
    identity = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Identity;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof identity.exp !== 'number' || identity.exp * 1000 <= now) return { ok: false, reason: 'expired' };
  return { ok: true, identity };
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
export function verifyJwt(token: string, secret: string, now = Date.now()): JwtClaims | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [header, payload, sig] = parts as [string, string, string];
  if (header !== JWT_HEADER) return null; // only HS256, never "none"
  if (!safeEqual(Buffer.from(sig, 'base64url'), hmac(secret, `${header}.${payload}`))) return null;
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
  return { traceId: parent?.traceId ?? randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex'), flags: parent?.flags ?? '01' };
}
