import { contentWords, localEmbedding } from '@switchboard/kit';

/**
 * The `LOCAL` provider: deterministic and offline, and NOT a language model. A chat
 * "completion" is extractive: the sentences of the context (SYSTEM messages and earlier
 * turns) that share the most content words with the last USER message, in their original
 * order. Embeddings are the kit's `localEmbedding`. Same input, same output, everywhere.
 */
export const LOCAL_NO_ANSWER = 'I could not find this in the information I have.';

export function localComplete(messages: { role: string; content: string }[], maxSentences = 3): string {
  const lastUser = [...messages].reverse().find((m) => m.role === 'USER');
  if (!lastUser) return LOCAL_NO_ANSWER;
  const question = new Set(contentWords(lastUser.content));
  const context = messages.filter((m) => m.role !== 'USER');
  const sentences = context.flatMap((m) => m.content.split(/(?<=[.!?])\s+|\n+/)).map((s) => s.trim()).filter((s) => s.length > 0);
  const scored = sentences
    .map((text, index) => {
      const words = new Set(contentWords(text));
      let overlap = 0;
      for (const w of question) if (words.has(w)) overlap += 1;
      return { text, index, score: words.size ? overlap / Math.sqrt(words.size) : 0, overlap };
    })
    .filter((s) => s.overlap > 0);
  if (!scored.length) return LOCAL_NO_ANSWER;
  const best = scored.sort((a, b) => b.score - a.score || a.index - b.index).slice(0, maxSentences);
  return best.sort((a, b) => a.index - b.index).map((s) => s.text).join(' ');
}

export function localEmbed(texts: string[]): number[][] {
  return texts.map((t) => localEmbedding(t));
}
