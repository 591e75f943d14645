import { contentWords, normalizeText } from '@switchboard/kit';

/**
 * The small language rules of the assistant loop, deterministic and offline: which locale a
 * customer writes in (for retrieval), whether they ask for a person, whether a blocked topic
 * comes up, how confident an answer is, and the handoff summary for the agent who takes over.
 */

/** Frequent function words per demo locale: the locale with most hits wins (ties and none: null). */
const MARKERS: Record<string, string[]> = {
  en: ['the', 'is', 'my', 'i', 'how', 'what', 'can', 'do', 'you', 'to', 'and', 'it', 'not', 'a', 'of', 'where', 'why', 'when'],
  de: ['der', 'die', 'das', 'ist', 'ich', 'nicht', 'wie', 'und', 'mein', 'meine', 'kann', 'ein', 'eine', 'was', 'wo', 'warum', 'mit', 'zu', 'sie', 'bitte'],
  es: ['el', 'la', 'es', 'mi', 'como', 'que', 'no', 'puedo', 'una', 'un', 'por', 'donde', 'para', 'quiero'],
  fr: ['le', 'la', 'est', 'mon', 'ma', 'je', 'comment', 'pas', 'une', 'un', 'et', 'pour', 'ou', 'veux', 'vous'],
};

export function detectLocale(text: string): string | null {
  const words = normalizeText(text).split(/[^a-z0-9]+/).filter(Boolean);
  let best: string | null = null;
  let bestHits = 0;
  let tie = false;
  for (const [locale, markers] of Object.entries(MARKERS)) {
    const set = new Set(markers);
    const hits = words.filter((w) => set.has(w)).length;
    if (hits > bestHits) [best, bestHits, tie] = [locale, hits, false];
    else if (hits === bestHits && hits > 0) tie = true;
  }
  return tie || bestHits === 0 ? null : best;
}

/** "I want a human" and its kin in the demo locales (English, German, Spanish, French). */
const HUMAN_REQUEST = [
  /\b(talk|speak|chat)\s+(to|with)\s+(a\s+|an\s+|the\s+)?(human|person|agent|someone|somebody|representative|real person)\b/,
  /\b(want|need|get|give me)\s+(a\s+|an\s+)?(human|person|real person|agent|representative)\b/,
  /\bhuman\s+(agent|being|please)\b/,
  /^\s*(human|agent|operator|representative)\s*[.!?]*\s*$/,
  /\b(mensch|mitarbeiter(in)?|menschen|berater(in)?)\b.*\b(sprechen|reden|bitte|will|mochte|moechte)\b/,
  /\b(mit\s+)?(einem|einer)\s+(menschen|mitarbeiter(in)?|berater(in)?)\b/,
  /\b(hablar|quiero)\s+(con\s+)?(una|un)\s+(persona|humano|agente)\b/,
  /\b(parler|veux)\s+(a|avec)?\s*(un|une)\s+(humain|personne|conseiller|agent)\b/,
];

export function asksForHuman(text: string): boolean {
  const t = normalizeText(text);
  return HUMAN_REQUEST.some((re) => re.test(t));
}

/** The first blocked topic the text mentions (whole words, accents and case folded), if any. */
export function blockedTopicIn(text: string, topics: readonly string[]): string | null {
  const t = ` ${normalizeText(text).replace(/[^a-z0-9]+/g, ' ')} `;
  for (const topic of topics) {
    const needle = normalizeText(topic).replace(/[^a-z0-9]+/g, ' ').trim();
    if (needle && t.includes(` ${needle} `)) return topic;
    // Stemmed match too ("refunds" for "refund").
    const stems = contentWords(topic);
    if (stems.length && stems.every((s) => contentWords(text).includes(s))) return topic;
  }
  return null;
}

/**
 * How well the retrieved passages cover the question: the share of the question's content
 * words (stemmed, stop words dropped) found in the best passage and its title. 0 when the
 * question has no content words or nothing was retrieved.
 */
export function coverage(question: string, passage: string): number {
  const p = new Set(contentWords(passage));
  // A message often wraps its question in a greeting, a name or contact details: the best
  // covered sentence counts, with addresses, numbers and links left out.
  const cleaned = question.replace(/\S+@\S+|https?:\/\/\S+|\+?\d[\d\s().-]{4,}\d|\d+/g, ' ');
  const sentences = [cleaned, ...cleaned.split(/(?<=[.!?])\s+|\n+/)];
  let best = 0;
  for (const sentence of sentences) {
    const q = [...new Set(contentWords(sentence))];
    if (!q.length) continue;
    best = Math.max(best, q.filter((w) => p.has(w)).length / q.length);
  }
  return best;
}

/** What the agent taking over reads first: what the customer wants, what the bot tried, and why it handed off. */
export function handoffSummary(input: { customerMessages: string[]; cited: string[]; botTurns: number; reason: string }): string {
  const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1).trimEnd()}…` : s);
  const asked = input.customerMessages.filter((m) => !asksForHuman(m) || input.customerMessages.length === 1);
  const wants = asked.length ? asked.slice(-2).map((m) => `“${clip(m.replace(/\s+/g, ' ').trim(), 160)}”`).join(' then ') : 'not stated';
  const tried = input.botTurns
    ? `The assistant answered ${input.botTurns} time${input.botTurns === 1 ? '' : 's'}${input.cited.length ? `, citing ${[...new Set(input.cited)].slice(0, 3).join('; ')}` : ''}.`
    : 'The assistant had not answered yet.';
  return clip(`Customer wants: ${wants}. ${tried} Handed off: ${input.reason}.`, 600);
}
