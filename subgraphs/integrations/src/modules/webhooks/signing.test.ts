import { retryDelay } from './dispatcher';
import { SecretBox, newWebhookSecret, signatureHeader, verifySignature } from './signing';
import { checkUrlShape, isMetadataAddress, isPrivateAddress } from './url-guard';

describe('webhook signatures', () => {
  const body = JSON.stringify({ id: 'e1', type: 'ticket.created', occurredAt: '2026-01-01T00:00:00.000Z', data: { id: 't1' } });
  const secret = newWebhookSecret();
  const now = 1_800_000_000_000;
  const t = Math.floor(now / 1000);

  it('verifies with the secret, and not with another secret, another body or an old timestamp', () => {
    const header = signatureHeader([secret], t, body);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifySignature(header, secret, body, { now })).toBe(true);
    expect(verifySignature(header, newWebhookSecret(), body, { now })).toBe(false);
    expect(verifySignature(header, secret, body.replace('t1', 't2'), { now })).toBe(false);
    expect(verifySignature(header, secret, body, { now: now + 301_000 })).toBe(false);
    expect(verifySignature(undefined, secret, body, { now })).toBe(false);
  });

  it('carries one v1 per signing secret during a rotation', () => {
    const next = newWebhookSecret();
    const header = signatureHeader([next, secret], t, body);
    expect(header.split(',').filter((p) => p.startsWith('v1='))).toHaveLength(2);
    expect(verifySignature(header, secret, body, { now })).toBe(true);
    expect(verifySignature(header, next, body, { now })).toBe(true);
  });
});

describe('secrets at rest', () => {
  it('seals with AES-256-GCM: opens with the key, fails with another or when tampered', () => {
    const box = new SecretBox(undefined, 'an-internal-secret-of-some-length');
    const sealed = box.seal('whsec_abc');
    expect(sealed).not.toContain('whsec_abc');
    expect(box.open(sealed)).toBe('whsec_abc');
    expect(() => new SecretBox('another key', 'x').open(sealed)).toThrow();
    const parts = sealed.split('.');
    parts[3] = Buffer.from('whsec_abd').toString('base64url');
    expect(() => box.open(parts.join('.'))).toThrow();
  });
});

describe('retry backoff', () => {
  it('doubles per attempt with jitter between half and all of it, capped at an hour', () => {
    expect(retryDelay(1, 1000, () => 0)).toBe(500);
    expect(retryDelay(1, 1000, () => 1)).toBe(1000);
    expect(retryDelay(4, 1000, () => 1)).toBe(8000);
    expect(retryDelay(40, 1000, () => 1)).toBe(3_600_000);
  });
});

describe('URL rules', () => {
  it('classifies addresses', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.1.1', '0.0.0.0', '::1', 'fe80::1', 'fd12::1', '::ffff:127.0.0.1', '100.64.0.1']) {
      expect({ a, p: isPrivateAddress(a) }).toEqual({ a, p: true });
    }
    for (const a of ['93.184.216.34', '2606:4700::1111', '8.8.8.8']) expect({ a, p: isPrivateAddress(a) }).toEqual({ a, p: false });
    expect(isMetadataAddress('169.254.169.254')).toBe(true);
    expect(isMetadataAddress('fd00:ec2::254')).toBe(true);
    expect(isMetadataAddress('::ffff:169.254.169.254')).toBe(true);
  });

  it('https only unless allowed; other schemes and credentials never', () => {
    expect(() => checkUrlShape('http://example.com/h', { allowHttp: false })).toThrow(/https/);
    expect(checkUrlShape('http://example.com/h', { allowHttp: true }).host).toBe('example.com');
    for (const u of ['file:///etc/passwd', 'gopher://example.com/', 'ftp://example.com/', 'https://user:pw@example.com/', 'not a url']) {
      expect(() => checkUrlShape(u, { allowHttp: true })).toThrow();
    }
  });
});
