import { Tiktoken } from 'js-tiktoken/lite';

/**
 * Token counting before the call with OpenAI's BPE ranks (js-tiktoken ships them: no
 * download): o200k_base for the gpt-4o / o-series / gpt-4.1+ names, cl100k_base for the rest
 * (a close estimate for other vendors' models). Loaded lazily, once per process.
 */
const encoders = new Map<string, Tiktoken>();

function encoder(rank: 'cl100k_base' | 'o200k_base'): Tiktoken {
  let e = encoders.get(rank);
  if (!e) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ranks = rank === 'o200k_base' ? require('js-tiktoken/ranks/o200k_base') : require('js-tiktoken/ranks/cl100k_base');
    e = new Tiktoken(ranks.default ?? ranks);
    encoders.set(rank, e);
  }
  return e;
}

export function encodingFor(model: string): 'cl100k_base' | 'o200k_base' {
  return /^(gpt-4o|gpt-4\.1|gpt-5|o\d|chatgpt-4o)/i.test(model) ? 'o200k_base' : 'cl100k_base';
}

export function countTokens(text: string, model = ''): number {
  return encoder(encodingFor(model)).encode(text).length;
}

/** Chat messages as OpenAI counts them: ~3 tokens of framing per message, 3 to prime the reply. */
export function countChatTokens(messages: { role: string; content: string }[], model = ''): number {
  return messages.reduce((sum, m) => sum + 3 + countTokens(m.content, model) + 1, 3);
}
