import { ibanValid, luhnValid, maskPii, PiiMasker } from './pii';

describe('PII masking', () => {
  it('masks emails, Luhn-valid cards, valid IBANs, national ids and phones, and counts them', () => {
    const text = 'Mail a.b+c@mail.example.co.uk, card 4242-4242-4242-4242, IBAN GB82 WEST 1234 5698 7654 32, SSN 123-45-6789, NINO AB 12 34 56 C, call (030) 1234 5678.';
    const { text: masked, count } = maskPii(text);
    expect(masked).toBe('Mail [EMAIL_1], card [CARD_1], IBAN [IBAN_1], SSN [NATIONAL_ID_1], NINO [NATIONAL_ID_2], call [PHONE_1].');
    expect(count).toBe(6);
  });

  it('leaves numbers that fail their checksum, order numbers, dates and prices alone', () => {
    const text = 'Card 4242 4242 4242 4241, IBAN GB82 WEST 1234 5698 7654 33, order 123456, on 2026-12-01, for 19.99 EUR.';
    expect(maskPii(text)).toEqual({ text, count: 0 });
  });

  it('gives one value one placeholder and restores the originals in an answer', () => {
    const masker = new PiiMasker();
    const a = masker.mask('I am jo@example.com');
    const b = masker.mask('again: jo@example.com, or ann@example.com');
    expect([a, b]).toEqual(['I am [EMAIL_1]', 'again: [EMAIL_1], or [EMAIL_2]']);
    expect(masker.count).toBe(3);
    expect(masker.restore('Write to [EMAIL_2] or [EMAIL_1]; [EMAIL_9] is unknown.')).toBe('Write to ann@example.com or jo@example.com; [EMAIL_9] is unknown.');
  });

  it('checks Luhn and IBAN checksums', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(ibanValid('DE89 3704 0044 0532 0130 00')).toBe(true);
    expect(ibanValid('DE89 3704 0044 0532 0130 01')).toBe(false);
  });
});
