import type { EntityManager } from '@mikro-orm/postgresql';
import { BadInputError, SYNONYM_GROUPS, authorize, conceptOf, contentWords, type Caller } from '@switchboard/kit';
import type { KnowledgeContext } from '../../context';
import { ArticleStatus } from '../articles/article.entity';
import { READ, isAuthor } from '../articles/articles.service';
import type { Embedder } from './embedder';
import { SEARCH_CONFIGS, fold, searchFeatures } from './features';

export enum SearchMode {
  KEYWORD = 'KEYWORD',
  SEMANTIC = 'SEMANTIC',
  HYBRID = 'HYBRID',
}

/** One search result: the article, the version that matched (cite it), how well, and the matching text. */
export interface SearchHit {
  articleId: string;
  version: number;
  score: number;
  snippet: string;
}

export interface SearchArgs {
  query: string;
  mode?: SearchMode | null;
  locale?: string | null;
  tags?: string[] | null;
  first?: number | null;
}

/** Reciprocal rank fusion constant: 60, the value of the original paper (Cormack et al., 2009). */
export const RRF_K = 60;
/**
 * SEMANTIC's share in the fusion (KEYWORD's is 1): below 1 so that the two lists do not tie
 * rank for rank, and because KEYWORD (with synonyms) ranked better on the evaluation's
 * tuning half. Chosen on the tuning questions only.
 */
export const SEMANTIC_WEIGHT = 0.8;
/** How many candidates each side hands HYBRID's fusion. */
export const FUSION_DEPTH = 50;
export const MAX_HITS = 50;
const SNIPPET_CHARS = 300;

/** A PostgreSQL array literal for a `?::text[]` binding (knex would spread a JS array). */
export function pgTextArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

/** A vector's non-zero components: 0-based indexes and values, for the sparse chunk columns. */
export function sparse(vector: readonly number[]): { dims: string; vals: string } {
  const dims: number[] = [];
  const vals: number[] = [];
  vector.forEach((v, i) => {
    if (v !== 0 && Number.isFinite(v)) {
      dims.push(i);
      vals.push(v);
    }
  });
  return { dims: `{${dims.join(',')}}`, vals: pgRealArray(vals) };
}

export function pgRealArray(values: readonly number[]): string {
  return `{${values.map((v) => (Number.isFinite(v) ? v.toPrecision(7) : '0')).join(',')}}`;
}

function snippetOf(text: string): string {
  const flat = text.replace(/[#*_`>]+/g, '').replace(/\s+/g, ' ').trim();
  return flat.length > SNIPPET_CHARS ? `${flat.slice(0, SNIPPET_CHARS - 1).trimEnd()}…` : flat;
}

interface Scope {
  tenantId: string;
  statuses: ArticleStatus[];
  locale: string | null;
  tags: string[] | null;
}

/** Where search looks: the tenant's articles, PUBLISHED (and DRAFT for authors), never ARCHIVED. */
function scopeOf(caller: Caller, args: SearchArgs): Scope {
  return {
    tenantId: caller.tenantId,
    statuses: isAuthor(caller) ? [ArticleStatus.PUBLISHED, ArticleStatus.DRAFT] : [ArticleStatus.PUBLISHED],
    locale: args.locale?.trim().toLowerCase() || null,
    tags: args.tags?.length ? args.tags.map((t) => t.trim().toLowerCase()) : null,
  };
}

function scopeSql(scope: Scope, alias: string): { sql: string; params: unknown[] } {
  let sql = `${alias}."tenant_id" = ? and ${alias}."status" = any(?::text[])`;
  const params: unknown[] = [scope.tenantId, pgTextArray(scope.statuses)];
  if (scope.locale) {
    sql += ` and ${alias}."locale" = ?`;
    params.push(scope.locale);
  }
  if (scope.tags) {
    sql += ` and ${alias}."tags" && ?::text[]`;
    params.push(pgTextArray(scope.tags));
  }
  return { sql, params };
}

/** The question with the other words of each synonym group it touches (the LOCAL embedding's groups): "coupon" also looks for "discount". */
export function expandSynonyms(query: string): string {
  const extra = new Set<string>();
  for (const word of contentWords(query)) {
    const concept = conceptOf(word);
    if (concept) for (const w of SYNONYM_GROUPS.find((g) => g[0] === concept) ?? []) extra.add(w);
  }
  return extra.size ? `${query} ${[...extra].join(' ')}` : query;
}

/**
 * KEYWORD: one statement. The question is parsed with each article's own configuration
 * (english, german, spanish, … or simple), accents folded with `unaccent`, its words OR-ed
 * (customers write whole sentences), ranked by `ts_rank_cd` with title (A) over tags (B)
 * over body (C); with `pg_trgm`, a title close to the question's words also matches (typos).
 */
export async function keywordSearch(em: EntityManager, scope: Scope, query: string, limit: number): Promise<SearchHit[]> {
  const f = await searchFeatures(em);
  const s = em.config.get('schema');
  const where = scopeSql(scope, 'a');
    // word_similarity(title, question): how well the title appears in the question, typos and all.
  const trigram = f.trigram ? `${fold(f, 'a."title"')} <% q."plain"` : 'false';
  const similarity = f.trigram ? `0.3 * word_similarity(${fold(f, 'a."title"')}, q."plain")` : '0';
  const expanded = expandSynonyms(query);
  // The question is parsed once per configuration, not once per article.
  const rows = await em.getConnection().execute<{ id: string; version: number; score: number; snippet: string }[]>(
    `with q as (
       select "cfg", ${fold(f, '?::text')} as "plain", nullif(replace(plainto_tsquery("cfg"::regconfig, ${fold(f, '?::text')})::text, '&', '|'), '')::tsquery as "tsq"
       from unnest(?::text[]) as "cfg"
     )
     select r."id", r."version", r."score", ts_headline(r."cfg"::regconfig, r."body", r."tsq", 'MaxWords=35, MinWords=15, StartSel="", StopSel=""') as "snippet"
     from (
       select a."id", a."version", a."body", a."search_config" as "cfg", q."tsq",
         ts_rank_cd('{0.1, 0.2, 0.4, 1.0}', coalesce(a."search_vector", ''::tsvector), coalesce(q."tsq", ''::tsquery), 1) + ${similarity} as "score"
       from "${s}"."article" a
       join q on q."cfg" = a."search_config"
       where ${where.sql} and (a."search_vector" @@ q."tsq" or ${trigram})
       order by "score" desc, a."id"
       limit ?
     ) r
     order by r."score" desc, r."id"`,
    [query, expanded, pgTextArray(SEARCH_CONFIGS), ...where.params, limit],
    'all',
    em.getTransactionContext(),
  );
  return rows.map((r) => ({ articleId: r.id, version: r.version, score: Number(r.score), snippet: snippetOf(r.snippet ?? '') }));
}

/**
 * SEMANTIC: one statement. The question's embedding (dense, bound once) against every chunk in
 * scope: the dot product of normalised vectors, over each chunk's non-zero components only
 * (sparse `dims`/`vals`), the best chunk per article.
 */
export async function semanticSearch(em: EntityManager, embedder: Embedder, scope: Scope, query: string, limit: number): Promise<SearchHit[]> {
  const [vector] = await embedder.embed(scope.tenantId, [query]);
  const s = em.config.get('schema');
  const where = scopeSql(scope, 'a');
  const rows = await em.getConnection().execute<{ id: string; version: number; score: number; text: string }[]>(
    `select * from (
       select distinct on (c."article_id") c."article_id" as "id", c."version", c."text",
         (select sum(x::double precision * q."v"[d + 1]) from unnest(c."dims", c."vals") as t(d, x)) as "score"
       from "${s}"."article_chunk" c
       join "${s}"."article" a on a."id" = c."article_id" and a."tenant_id" = c."tenant_id"
       cross join (select ?::real[] as "v") q
       where c."tenant_id" = ? and ${where.sql}
       order by c."article_id", "score" desc
     ) best
     where "score" > 0
     order by "score" desc, "id"
     limit ?`,
    [pgRealArray(vector ?? []), scope.tenantId, ...where.params, limit],
    'all',
    em.getTransactionContext(),
  );
  return rows.map((r) => ({ articleId: r.id, version: r.version, score: Number(r.score), snippet: snippetOf(r.text) }));
}

/** HYBRID: weighted reciprocal rank fusion, per article: Σ w/(RRF_K + rank) over the two lists. The semantic chunk names the version and snippet when there is one. */
export function fuse(keyword: SearchHit[], semantic: SearchHit[], limit: number, k = RRF_K): SearchHit[] {
  const fused = new Map<string, SearchHit>();
  const add = (hits: SearchHit[], prefer: boolean, w: number) =>
    hits.forEach((hit, i) => {
      const score = w / (k + i + 1);
      const seen = fused.get(hit.articleId);
      if (!seen) fused.set(hit.articleId, { ...hit, score });
      else fused.set(hit.articleId, { ...(prefer ? hit : seen), score: seen.score + score });
    });
  add(keyword, false, 1);
  add(semantic, true, SEMANTIC_WEIGHT);
  return [...fused.values()]
    .sort((a, b) => b.score - a.score || a.articleId.localeCompare(b.articleId))
    .slice(0, limit);
}

/** The search any caller may run over what they can read; what the assistant retrieves with. */
export async function search(em: EntityManager, embedder: Embedder, caller: Caller, args: SearchArgs): Promise<SearchHit[]> {
  const query = args.query.trim();
  if (!query || query.length > 2000) throw new BadInputError('query', 'query must be 1–2000 characters');
  const first = args.first ?? 5;
  if (!Number.isInteger(first) || first < 1 || first > MAX_HITS) throw new BadInputError('first', `first must be between 1 and ${MAX_HITS}`);
  const scope = scopeOf(caller, args);
  const mode = args.mode ?? SearchMode.HYBRID;
  if (mode === SearchMode.KEYWORD) return keywordSearch(em, scope, query, first);
  if (mode === SearchMode.SEMANTIC) return semanticSearch(em, embedder, scope, query, first);
  const depth = Math.max(FUSION_DEPTH, first);
  const [keyword, semantic] = [await keywordSearch(em, scope, query, depth), await semanticSearch(em, embedder, scope, query, depth)];
  return fuse(keyword, semantic, first);
}

export function searchArticles(ctx: KnowledgeContext, args: SearchArgs): Promise<SearchHit[]> {
  const caller = authorize(ctx.identity, READ);
  return search(ctx.em, ctx.embedder, caller, args);
}
