import { Tiktoken } from 'js-tiktoken/lite';

/**
 * Token counting before the call with a real BPE tokenizer: OpenAI's cl100k_base ranks, which
 * js-tiktoken ships (no download). It is the estimate the budget reserves and the cost cap
 * checks; what a call costs is always what the provider reports. (o200k_base, gpt-4o's, counts
 * English within a few per cent of it but takes seconds to load, so it is not used.) Loaded
 * once per process: `warmTokenizer()` at start, so no request pays for it.
 */
let encoder: Tiktoken | undefined;

export function warmTokenizer(): void {
  if (encoder) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ranks = require('js-tiktoken/ranks/cl100k_base');
  encoder = new Tiktoken(ranks.default ?? ranks);
}

/**
 * Counts of texts seen again (an assistant's instructions and system prompt open every call),
 * bounded in entries and in the length of what is remembered.
 */
const counted = new Map<string, number>();
const MEMO_ENTRIES = 2_000;
const MEMO_MAX_CHARS = 8_000;

export function countTokens(text: string, _model = ''): number {
  const known = counted.get(text);
  if (known !== undefined) return known;
  warmTokenizer();
  const n = encoder!.encode(text).length;
  if (text.length <= MEMO_MAX_CHARS) {
    if (counted.size >= MEMO_ENTRIES) counted.delete(counted.keys().next().value!);
    counted.set(text, n);
  }
  return n;
}

/** Chat messages as OpenAI counts them: ~3 tokens of framing per message, 3 to prime the reply. */
export function countChatTokens(messages: { role: string; content: string }[], model = ''): number {
  return messages.reduce((sum, m) => sum + 3 + countTokens(m.content, model) + 1, 3);
}
