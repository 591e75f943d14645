import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Provider API keys at rest: AES-256-GCM under a key from PROVIDER_KEY_ENCRYPTION_KEY.
 * Stored as `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url), where keyId names the key
 * (the first 8 hex digits of its hash), so rotation can tell which key sealed a row: set the
 * new key, keep the old one in PROVIDER_KEY_ENCRYPTION_KEY_PREVIOUS, run
 * `npm run -w @switchboard/models rotate-keys` (re-seals every row under the new key), then
 * drop the previous key.
 */
export interface KeyRing {
  current: Buffer;
  previous: Buffer[];
}

/** A 64-hex-digit value is the key itself; anything else is hashed to 32 bytes. */
export function deriveKey(secret: string): Buffer {
  return /^[0-9a-f]{64}$/i.test(secret) ? Buffer.from(secret, 'hex') : createHash('sha256').update(secret).digest();
}

export function keyRing(current: string, previous?: string): KeyRing {
  return { current: deriveKey(current), previous: previous ? previous.split(',').filter(Boolean).map(deriveKey) : [] };
}

const keyId = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 8);
const b64 = (b: Buffer) => b.toString('base64url');

export function encryptSecret(plain: string, ring: KeyRing): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', ring.current, iv);
  const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return ['v1', keyId(ring.current), b64(iv), b64(cipher.getAuthTag()), b64(ct)].join('.');
}

export function decryptSecret(sealed: string, ring: KeyRing): string {
  const [version, id, iv, tag, ct] = sealed.split('.');
  if (version !== 'v1' || !id || !iv || !tag || ct === undefined) throw new Error('malformed sealed secret');
  const key = [ring.current, ...ring.previous].find((k) => keyId(k) === id);
  if (!key) throw new Error(`no key ${id} in PROVIDER_KEY_ENCRYPTION_KEY or PROVIDER_KEY_ENCRYPTION_KEY_PREVIOUS`);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
}

/** True when the value is sealed with the current key (rotation skips it). */
export function sealedWithCurrent(sealed: string, ring: KeyRing): boolean {
  return sealed.split('.')[1] === keyId(ring.current);
}
