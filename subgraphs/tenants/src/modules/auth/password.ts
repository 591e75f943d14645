import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const scrypt = (password: string, salt: Buffer, keylen: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));

/**
 * scrypt cost for new hashes: N = 2^17, r = 8, p = 1 (current OWASP guidance). One hash
 * needs 128·N·r = 128 MiB of memory and ~0.4 s of one core here. `PASSWORD_SCRYPT_N`
 * lowers it only when set explicitly (tests); production refuses anything lower.
 */
export const DEFAULT_SCRYPT_N = 2 ** 17;
/** Stored hashes with a larger N are refused rather than computed (they are not ours). */
export const MAX_SCRYPT_N = 2 ** 20;
const R = 8;
const P = 1;
const KEYLEN = 32;

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/**
 * Node refuses scrypt above `maxmem` (32 MiB by default, below what N = 2^17 needs).
 * OpenSSL needs 128·r·(N + p + 2) bytes; give it exactly that plus 1 MiB, not more.
 */
function options({ N, r, p }: ScryptParams): ScryptOptions {
  return { N, r, p, maxmem: 128 * r * (N + p + 2) + 1024 * 1024 };
}

/** scrypt with a random salt; the parameters travel with the hash: `scrypt$N$r$p$salt$key`. */
export async function hashPassword(password: string, N = DEFAULT_SCRYPT_N): Promise<string> {
  const params = { N, r: R, p: P };
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEYLEN, options(params));
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

interface ParsedHash extends ScryptParams {
  salt: Buffer;
  key: Buffer;
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 1 && (n & (n - 1)) === 0;
}

export function parseHash(stored: string): ParsedHash | null {
  const [alg, n, r, p, salt, key, extra] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !key || extra !== undefined) return null;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  if (!isPowerOfTwo(params.N) || params.N > MAX_SCRYPT_N) return null;
  if (!Number.isInteger(params.r) || params.r < 1 || params.r > 32 || !Number.isInteger(params.p) || params.p < 1 || params.p > 16) return null;
  return { ...params, salt: Buffer.from(salt, 'base64url'), key: Buffer.from(key, 'base64url') };
}

/** Computes scrypt with the stored hash's own parameters and compares in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed || !parsed.key.length) return false;
  const key = await scrypt(password, parsed.salt, parsed.key.length, options(parsed));
  return timingSafeEqual(key, parsed.key);
}

/** True when a stored hash is weaker than what new hashes get: login then rehashes it. */
export function needsRehash(stored: string, N = DEFAULT_SCRYPT_N): boolean {
  const parsed = parseHash(stored);
  return !parsed || parsed.N < N || parsed.r < R || parsed.p < P;
}

/**
 * A hash of nothing at the current cost: login compares against it when no account
 * matches, so an unknown email costs the same scrypt work as a wrong password.
 */
export function dummyHash(N = DEFAULT_SCRYPT_N): string {
  return `scrypt$${N}$${R}$${P}$${Buffer.from('switchboard-dummy').toString('base64url')}$${Buffer.alloc(KEYLEN).toString('base64url')}`;
}
