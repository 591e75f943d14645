import { chunkArticle } from '../src/modules/search/chunking';
import { fuse } from '../src/modules/search/search.service';

describe('chunking', () => {
  it('splits by heading, keeps each chunk’s heading, and cuts long sections between paragraphs only', () => {
    const long = Array.from({ length: 4 }, (_, i) => `Paragraph ${i} ${'word '.repeat(60)}`.trim());
    const chunks = chunkArticle(`Intro line.\n\n## Setup\nStep one.\n\nStep two.\n\n## Details\n${long.join('\n\n')}`);
    expect(chunks[0]).toEqual({ heading: null, text: 'Intro line.' });
    expect(chunks[1]).toEqual({ heading: 'Setup', text: 'Step one.\n\nStep two.' });
    const details = chunks.filter((c) => c.heading === 'Details');
    expect(details.length).toBeGreaterThan(1);
    expect(details.map((c) => c.text).join('\n\n')).toBe(long.join('\n\n'));
  });

  it('gives one chunk for an empty body', () => {
    expect(chunkArticle('')).toEqual([{ heading: null, text: '' }]);
  });
});

describe('reciprocal rank fusion', () => {
  const hit = (articleId: string, version = 1) => ({ articleId, version, score: 0, snippet: articleId });
  it('ranks an article both lists found above one only a single list found, per article', () => {
    const fused = fuse([hit('a'), hit('b')], [hit('c', 2), hit('b', 3)], 3);
    expect(fused.map((h) => h.articleId)).toEqual(['b', 'a', 'c']);
    // The semantic side names the version (the chunk it matched).
    expect(fused[0]!.version).toBe(3);
  });
});
