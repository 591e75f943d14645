/**
 * PII masking before any provider call: emails, card numbers (Luhn-checked), IBANs
 * (mod-97 checksum), national-id-like numbers (US SSN, UK NINO) and phone numbers (international
 * `+…`, or national with a trunk `0`) become
 * placeholders like `[EMAIL_1]`; the same value gets the same placeholder within one
 * request. `restore` puts the originals back into an answer that quotes a placeholder.
 * Only the count leaves this module (never the values).
 */
export interface Masked {
  text: string;
  count: number;
}

export type PiiKind = 'EMAIL' | 'CARD' | 'IBAN' | 'NATIONAL_ID' | 'PHONE';

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length >= 12 && sum % 10 === 0;
}

export function ibanValid(raw: string): boolean {
  const iban = raw.replace(/\s+/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (const ch of moved) {
    const v = ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const digit of v) rest = (rest * 10 + Number(digit)) % 97;
  }
  return rest === 1;
}

const PATTERNS: { kind: PiiKind; re: RegExp; valid?: (m: string) => boolean }[] = [
  { kind: 'EMAIL', re: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g },
  { kind: 'IBAN', re: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/g, valid: ibanValid },
  { kind: 'CARD', re: /\b\d(?:[ -]?\d){12,18}\b/g, valid: (m) => luhnValid(m.replace(/\D/g, '')) },
  { kind: 'NATIONAL_ID', re: /\b\d{3}-\d{2}-\d{4}\b|\b[A-CEGHJ-PR-TW-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b/g },
  // International (+…), or national with a trunk prefix (0… or (0…)): 7–15 digits in groups.
  { kind: 'PHONE', re: /(?<![\w[+])(?:\+\d{1,3}|\(0\d{1,4}\)|0\d{1,4})(?:[ .-]?\(?\d{2,4}\)?){1,5}(?![\w\]])/g, valid: (m) => { const n = m.replace(/\D/g, '').length; return n >= 7 && n <= 15; } },
];

const PLACEHOLDER = /\[(EMAIL|CARD|IBAN|NATIONAL_ID|PHONE)_(\d+)\]/g;

/** One request's masking: the same instance masks every message and restores the answer. */
export class PiiMasker {
  private readonly byValue = new Map<string, string>();
  private readonly byPlaceholder = new Map<string, string>();
  private readonly counters = new Map<PiiKind, number>();
  /** Values masked (each occurrence counts). */
  count = 0;

  mask(text: string): string {
    let out = text;
    for (const { kind, re, valid } of PATTERNS) {
      out = out.replace(re, (match) => {
        if (valid && !valid(match)) return match;
        this.count += 1;
        let placeholder = this.byValue.get(match);
        if (!placeholder) {
          const n = (this.counters.get(kind) ?? 0) + 1;
          this.counters.set(kind, n);
          placeholder = `[${kind}_${n}]`;
          this.byValue.set(match, placeholder);
          this.byPlaceholder.set(placeholder, match);
        }
        return placeholder;
      });
    }
    return out;
  }

  restore(text: string): string {
    return text.replace(PLACEHOLDER, (placeholder) => this.byPlaceholder.get(placeholder) ?? placeholder);
  }
}

export function maskPii(text: string): Masked {
  const masker = new PiiMasker();
  return { text: masker.mask(text), count: masker.count };
}
