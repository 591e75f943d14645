import { LOCAL_NO_ANSWER, localComplete, localEmbed } from './local';
import { countChatTokens, countTokens } from './tokens';
import { checkBaseUrl, isPrivateAddress } from './ssrf';

describe('the LOCAL provider', () => {
  const context = 'Refunds take 5 business days. You can reset your password on the login page. We ship to Norway and Sweden.';
  it('answers with the context sentences that best match the question, deterministically', () => {
    const messages = [{ role: 'SYSTEM', content: context }, { role: 'USER', content: 'How long do refunds take?' }];
    expect(localComplete(messages)).toBe('Refunds take 5 business days.');
    expect(localComplete(messages)).toBe(localComplete(messages));
    expect(localComplete([{ role: 'SYSTEM', content: context }, { role: 'USER', content: 'Quantum chromodynamics?' }])).toBe(LOCAL_NO_ANSWER);
  });

  it('embeds with the kit’s local embedding', () => {
    const [a, b] = localEmbed(['reset password', 'reset password']);
    expect(a).toEqual(b);
    expect(a).toHaveLength(512);
  });
});

describe('token counting', () => {
  it('uses a real BPE tokenizer', () => {
    expect(countTokens('hello world')).toBe(2);
    expect(countChatTokens([{ role: 'USER', content: 'hello world' }])).toBe(3 + 2 + 1 + 3);
  });
});

describe('base URL rules', () => {
  it('refuses private, loopback, link-local and metadata addresses unless allowed', async () => {
    for (const url of ['http://127.0.0.1:8080/v1', 'http://10.1.2.3/v1', 'http://169.254.169.254/latest', 'http://[::1]/v1', 'http://[::ffff:192.168.0.1]/', 'http://localhost:11434/v1']) {
      expect(await checkBaseUrl(url, false)).toMatchObject({ ok: false });
      expect(await checkBaseUrl(url, true)).toMatchObject({ ok: true });
    }
    expect(await checkBaseUrl('https://8.8.8.8/v1', false)).toEqual({ ok: true, url: 'https://8.8.8.8/v1' });
    expect(await checkBaseUrl('https://llm.example/v1', false, async () => ['10.0.0.5'])).toMatchObject({ ok: false });
    expect(await checkBaseUrl('https://llm.example/v1', false, async () => ['93.184.216.34'])).toMatchObject({ ok: true });
    expect(await checkBaseUrl('ftp://x/v1', true)).toMatchObject({ ok: false });
    expect(await checkBaseUrl('https://user:pw@x/v1', true)).toMatchObject({ ok: false });
    expect(isPrivateAddress('100.64.0.1')).toBe(true);
    expect(isPrivateAddress('fd00::1')).toBe(true);
  });
});
