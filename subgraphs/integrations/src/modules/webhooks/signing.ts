import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new endpoint secret: shown once, stored encrypted. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** `HMAC-SHA256(secret, "<t>.<body>")` in hex: the `v1` of `Switchboard-Signature`. */
export function signatureOf(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The header value: `t=<unix seconds>,v1=<hex>` with one `v1` per secret that signs (two during a rotation's overlap). */
export function signatureHeader(secrets: readonly string[], timestamp: number, body: string): string {
  return [`t=${timestamp}`, ...secrets.map((s) => `v1=${signatureOf(s, timestamp, body)}`)].join(',');
}

/**
 * What a receiver does (docs/api.md has the same recipe): the timestamp within `toleranceSeconds`
 * of now, and one `v1` equal to the HMAC of `"<t>.<raw body>"` under its secret.
 */
export function verifySignature(header: string | undefined, secret: string, body: string, options: { now?: number; toleranceSeconds?: number } = {}): boolean {
  if (!header) return false;
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  if (!Number.isInteger(t)) return false;
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(now - t) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signatureOf(secret, t, body), 'hex');
  return parts.some(([k, v]) => k === 'v1' && v && v.length === expected.length * 2 && timingSafeEqual(Buffer.from(v, 'hex'), expected));
}

/**
 * Secrets at rest: AES-256-GCM, `v1.<iv>.<tag>.<ciphertext>` (base64url). The key is
 * WEBHOOK_ENCRYPTION_KEY (any length; hashed to 32 bytes) or, without it, derived from
 * INTERNAL_SECRET with HKDF, so a database dump alone never reveals a secret.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(encryptionKey: string | undefined, internalSecret: string) {
    this.key = encryptionKey
      ? createHash('sha256').update(encryptionKey).digest()
      : Buffer.from(hkdfSync('sha256', internalSecret, 'switchboard', 'integrations webhook secrets', 32));
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), data].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  open(sealed: string): string {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  }
}
