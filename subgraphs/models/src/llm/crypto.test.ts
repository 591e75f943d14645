import { decryptSecret, encryptSecret, keyRing, sealedWithCurrent } from './crypto';

describe('provider key encryption', () => {
  it('seals with AES-256-GCM (random IV, authenticated) and opens with the current or a previous key', () => {
    const old = keyRing('the-old-key-of-at-least-16');
    const sealed = encryptSecret('sk-live-123', old);
    expect(sealed).not.toContain('sk-live');
    expect(encryptSecret('sk-live-123', old)).not.toBe(sealed);
    expect(decryptSecret(sealed, old)).toBe('sk-live-123');

    const rotated = keyRing('a'.repeat(64), 'the-old-key-of-at-least-16');
    expect(sealedWithCurrent(sealed, rotated)).toBe(false);
    expect(decryptSecret(sealed, rotated)).toBe('sk-live-123');
    const resealed = encryptSecret(decryptSecret(sealed, rotated), rotated);
    expect(sealedWithCurrent(resealed, rotated)).toBe(true);
    expect(() => decryptSecret(resealed, old)).toThrow(/no key/);
  });

  it('refuses a tampered ciphertext', () => {
    const ring = keyRing('the-key-of-at-least-16-chars');
    const parts = encryptSecret('sk-live-123', ring).split('.');
    parts[4] = Buffer.from('sk-live-124').toString('base64url');
    expect(() => decryptSecret(parts.join('.'), ring)).toThrow();
  });
});
