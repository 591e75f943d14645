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

export function countTokens(text: string, _model = ''): number {
  warmTokenizer();
  return encoder!.encode(text).length;
}

/** Chat messages as OpenAI counts them: ~3 tokens of framing per message, 3 to prime the reply. */
export function countChatTokens(messages: { role: string; content: string }[], model = ''): number {
  return messages.reduce((sum, m) => sum + 3 + countTokens(m.content, model) + 1, 3);
}
