/** One piece of an article that is embedded and searched on its own. */
export interface Chunk {
  heading: string | null;
  text: string;
}

/** Chunks aim at this many characters: a section, or a few paragraphs of one. */
export const CHUNK_TARGET_CHARS = 700;

/**
 * Splits a markdown body by heading, then by paragraph: a section is one chunk while it
 * fits `CHUNK_TARGET_CHARS`; a longer one is cut between paragraphs (a paragraph is never
 * split). Each chunk keeps its heading, so a chunk without its section's title still says
 * what it is about. An empty body gives one chunk (the title alone is still searchable).
 */
export function chunkArticle(body: string, target = CHUNK_TARGET_CHARS): Chunk[] {
  const sections: { heading: string | null; paragraphs: string[] }[] = [{ heading: null, paragraphs: [] }];
  for (const block of body.replace(/\r\n/g, '\n').split(/\n\s*\n/)) {
    const lines = block.split('\n');
    let rest: string[] = [];
    for (const line of lines) {
      const heading = /^#{1,6}\s+(.*)$/.exec(line.trim());
      if (heading) {
        if (rest.length) sections.at(-1)!.paragraphs.push(rest.join('\n'));
        rest = [];
        sections.push({ heading: heading[1]!.trim(), paragraphs: [] });
      } else if (line.trim()) rest.push(line);
    }
    if (rest.length) sections.at(-1)!.paragraphs.push(rest.join('\n'));
  }
  const chunks: Chunk[] = [];
  for (const { heading, paragraphs } of sections) {
    let current: string[] = [];
    let size = 0;
    for (const p of paragraphs) {
      if (current.length && size + p.length > target) {
        chunks.push({ heading, text: current.join('\n\n') });
        current = [];
        size = 0;
      }
      current.push(p);
      size += p.length;
    }
    if (current.length) chunks.push({ heading, text: current.join('\n\n') });
    else if (heading && !paragraphs.length) chunks.push({ heading, text: heading });
  }
  return chunks.length ? chunks : [{ heading: null, text: '' }];
}
