import { contentWords, cosineSimilarity, localEmbedding, LOCAL_EMBEDDING_DIMENSIONS, stem } from './local-ai';

describe('the LOCAL embedding', () => {
  it('is deterministic, normalised and of the declared size', () => {
    const a = localEmbedding('How do I reset my password?');
    expect(a).toEqual(localEmbedding('How do I reset my password?'));
    expect(a).toHaveLength(LOCAL_EMBEDDING_DIMENSIONS);
    expect(Math.sqrt(a.reduce((s, v) => s + v * v, 0))).toBeCloseTo(1, 6);
  });

  it('drops stop words, folds accents and stems', () => {
    expect(contentWords('How do I get a REFUND for my orders?')).toEqual(['refund', stem('order')]);
    expect(contentWords('Rückerstattung für Bestellungen')).toEqual(['ruckerstatt', 'bestell']);
    // Inflections of one word meet in one stem.
    for (const [a, b] of [['orders', 'order'], ['payments', 'payment'], ['charged', 'charges'], ['Bestellung', 'Bestellungen']]) expect(stem(a.toLowerCase())).toBe(stem(b.toLowerCase()));
  });

  it('puts a question nearer the article it is about than an unrelated one', () => {
    const question = localEmbedding('i was charged twice this month, can i get my money back');
    const billing = localEmbedding('Refunds and double charges. If you were charged twice for the same month, we refund the duplicate charge.');
    const widget = localEmbedding('Installing the chat widget on your website: paste the snippet before the closing body tag.');
    expect(cosineSimilarity(question, billing)).toBeGreaterThan(cosineSimilarity(question, widget));
  });

  it('tolerates a typo through character trigrams', () => {
    const typo = localEmbedding('pasword reset');
    expect(cosineSimilarity(typo, localEmbedding('password reset'))).toBeGreaterThan(cosineSimilarity(typo, localEmbedding('invoice download')));
  });

  it('answers the zero vector for text with no content words', () => {
    expect(localEmbedding('the and of').every((v) => v === 0)).toBe(true);
    expect(cosineSimilarity(localEmbedding(''), localEmbedding('refund'))).toBe(0);
  });
});
