import type { EntityManager } from '@mikro-orm/postgresql';

/** What the database server offers search; found once per ORM (driver). */
export interface SearchFeatures {
  unaccent: boolean;
  trigram: boolean;
}

const found = new WeakMap<object, Promise<SearchFeatures>>();

/**
 * `unaccent` and `pg_trgm` where installed (the migration creates them when it can: the
 * PostgreSQL here has both; PGlite only when started with them). Without `unaccent`,
 * accents are not folded in full-text search; without `pg_trgm`, KEYWORD has no typo
 * tolerance (SEMANTIC's character trigrams still have).
 */
export function searchFeatures(em: EntityManager): Promise<SearchFeatures> {
  const key = em.getDriver();
  let features = found.get(key);
  if (!features) {
    features = em
      .getConnection()
      .execute<{ extname: string }[]>(`select extname from pg_extension where extname in ('unaccent', 'pg_trgm')`, [], 'all', em.getTransactionContext())
      .then((rows) => ({ unaccent: rows.some((r) => r.extname === 'unaccent'), trigram: rows.some((r) => r.extname === 'pg_trgm') }));
    found.set(key, features);
  }
  return features;
}

const CONFIGS: Record<string, string> = { en: 'english', de: 'german', es: 'spanish', fr: 'french', it: 'italian', pt: 'portuguese', nl: 'dutch' };

/** Every configuration an article can have: KEYWORD parses the question once in each. */
export const SEARCH_CONFIGS = [...new Set([...Object.values(CONFIGS), 'simple'])];

/** The full-text configuration of a locale: its language where PostgreSQL has one, else `simple`. */
export function searchConfig(locale: string): string {
  const language = locale.toLowerCase().split(/[-_]/)[0];
  return CONFIGS[language ?? ''] ?? 'simple';
}

export const fold = (f: SearchFeatures, sql: string) => (f.unaccent ? `public.unaccent(${sql})` : sql);
