import type { Platform } from '../../clients';

export interface Hit {
  articleId: string;
  title: string;
  version: number;
  snippet: string;
  score: number;
}

const SEARCH = `query($q: String!, $tags: [String!], $locale: String, $first: Int!) {
  searchArticles(query: $q, tags: $tags, locale: $locale, mode: HYBRID, first: $first) { version score snippet article { id title } }
}`;

/**
 * The tenant's PUBLISHED articles for a question, through the knowledge subgraph's own search
 * (HYBRID), scoped to the assistant's tags and the customer's locale. With a locale that has
 * no article, the search runs once more without it (the customer still gets the help center).
 */
export async function retrieve(platform: Platform, tenantId: string, question: string, options: { tags: string[]; locale: string | null; first: number }): Promise<Hit[]> {
  const run = async (locale: string | null) => {
    const data = await platform.knowledge<{ searchArticles: { version: number; score: number; snippet: string; article: { id: string; title: string } }[] }>(tenantId, SEARCH, {
      q: question.slice(0, 1000),
      tags: options.tags.length ? options.tags : null,
      locale,
      first: options.first,
    });
    return data.searchArticles.map((h) => ({ articleId: h.article.id, title: h.article.title, version: h.version, snippet: h.snippet, score: h.score }));
  };
  const hits = await run(options.locale);
  return hits.length || !options.locale ? hits : run(null);
}
