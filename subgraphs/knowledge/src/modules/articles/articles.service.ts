import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  ALL_ROLES,
  BadInputError,
  ConflictError,
  InvalidTransitionError,
  NotFoundError,
  authorize,
  emitEvent,
  isUuid,
  paginate,
  type Caller,
  type Page,
  type Role,
} from '@switchboard/kit';
import type { KnowledgeContext } from '../../context';
import { fold, searchConfig, searchFeatures } from '../search/features';
import { Article, ArticleRating, ArticleStatus, ArticleVersion } from './article.entity';

/** Who writes articles: OWNER, ADMIN, SUPERVISOR (and API keys with `knowledge:write`). */
export const AUTHOR_ROLES: readonly Role[] = ['OWNER', 'ADMIN', 'SUPERVISOR'];
export const WRITE = { roles: AUTHOR_ROLES, scope: 'knowledge:write' };
export const READ = { roles: ALL_ROLES, scope: 'knowledge:read' };

const MAX_TITLE = 300;
const MAX_BODY = 100_000;
const MAX_TAGS = 20;

/** Authors see drafts and archived articles; every other reader sees PUBLISHED only. */
export function isAuthor(caller: Caller): boolean {
  return caller.kind === 'user' ? caller.roles.some((r) => AUTHOR_ROLES.includes(r)) : caller.scopes.includes('knowledge:write');
}

export function visibleStatuses(caller: Caller): ArticleStatus[] {
  return isAuthor(caller) ? [ArticleStatus.DRAFT, ArticleStatus.PUBLISHED, ArticleStatus.ARCHIVED] : [ArticleStatus.PUBLISHED];
}

export interface ArticleInputData {
  title: string;
  body: string;
  tags?: string[] | null;
  category?: string | null;
  locale?: string | null;
}

function clean(input: ArticleInputData) {
  const title = input.title.trim();
  if (!title || title.length > MAX_TITLE) throw new BadInputError('title', `title must be 1–${MAX_TITLE} characters`);
  if (input.body.length > MAX_BODY) throw new BadInputError('body', `body must be at most ${MAX_BODY} characters`);
  const tags = [...new Set((input.tags ?? []).map((t) => t.trim().toLowerCase()).filter(Boolean))];
  if (tags.length > MAX_TAGS || tags.some((t) => t.length > 50)) throw new BadInputError('tags', `at most ${MAX_TAGS} tags of at most 50 characters`);
  const locale = (input.locale ?? 'en').trim().toLowerCase();
  if (!/^[a-z]{2,3}([-_][a-z0-9]{2,8})?$/.test(locale)) throw new BadInputError('locale', 'locale must be a language tag such as en or de-CH');
  const category = input.category?.trim() || null;
  return { title, body: input.body, tags, locale, category };
}

/** An article the caller may see, or NOT_FOUND (another tenant's, a draft for a non-author, or none). */
export async function visibleArticle(ctx: KnowledgeContext, id: string, caller: Caller): Promise<Article> {
  const article = isUuid(id) ? await ctx.loaders.article.load(id) : null;
  if (!article || !visibleStatuses(caller).includes(article.status)) throw new NotFoundError('Article', id);
  return article;
}

/** `article(id)`: counts a view (one atomic UPDATE), answers NOT_FOUND for what the caller may not see. */
export async function getArticle(ctx: KnowledgeContext, id: string): Promise<Article> {
  const caller = authorize(ctx.identity, READ);
  const article = await visibleArticle(ctx, id, caller);
  const s = ctx.em.config.get('schema');
  await ctx.em.getConnection().execute(`update "${s}"."article" set "views" = "views" + 1 where "id" = ? and "tenant_id" = ?`, [article.id, caller.tenantId], 'run');
  article.views += 1;
  return article;
}

export interface ArticleFilterData {
  status?: ArticleStatus | null;
  tags?: string[] | null;
  locale?: string | null;
  category?: string | null;
  query?: string | null;
}

export function listArticles(ctx: KnowledgeContext, filter: ArticleFilterData | null | undefined, args: { first?: number | null; after?: string | null }): Promise<Page<Article>> {
  const caller = authorize(ctx.identity, READ);
  const statuses = visibleStatuses(caller);
  const where: Record<string, unknown> = { tenantId: caller.tenantId, status: { $in: filter?.status ? statuses.filter((s) => s === filter.status) : statuses } };
  if (filter?.tags?.length) where.tags = { $overlap: filter.tags.map((t) => t.trim().toLowerCase()) };
  if (filter?.locale) where.locale = filter.locale.trim().toLowerCase();
  if (filter?.category) where.category = filter.category.trim();
  if (filter?.query?.trim()) {
    const like = `%${filter.query.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    where.$or = [{ title: { $ilike: like } }, { body: { $ilike: like } }];
  }
  return paginate(ctx.em, Article, where, args, 'desc');
}

/** Writes the weighted full-text document of an article in the caller's transaction: title (A) over tags (B) over body (C). */
async function indexForKeywords(em: EntityManager, article: Article): Promise<void> {
  const f = await searchFeatures(em);
  const s = em.config.get('schema');
  await em.getConnection().execute(
    `update "${s}"."article" set "search_config" = ?, "search_vector" =
       setweight(to_tsvector(?::regconfig, ${fold(f, '"title"')}), 'A') ||
       setweight(to_tsvector(?::regconfig, ${fold(f, `array_to_string("tags", ' ')`)}), 'B') ||
       setweight(to_tsvector(?::regconfig, ${fold(f, '"body"')}), 'C')
     where "id" = ? and "tenant_id" = ?`,
    [...Array(4).fill(searchConfig(article.locale)), article.id, article.tenantId],
    'run',
    em.getTransactionContext(),
  );
}

function addVersion(em: EntityManager, article: Article, authorId: string | null, restoredFrom: number | null = null, at = new Date()): ArticleVersion {
  return em.create(ArticleVersion, { articleId: article.id, version: article.version, tenantId: article.tenantId, title: article.title, body: article.body, authorId, restoredFrom, createdAt: at });
}

const authorOf = (caller: Caller) => (caller.kind === 'user' ? (caller.userId ?? null) : null);

/** Inserts an article (DRAFT, version 1, or `status`) with its first version and `article.created`: the seed uses it too. */
export async function insertArticle(em: EntityManager, tenantId: string, data: ArticleInputData, authorId: string | null, status = ArticleStatus.DRAFT, at = new Date()): Promise<Article> {
  const input = clean(data);
  const article = em.create(Article, { tenantId, ...input, authorId, status, createdAt: at, updatedAt: at, publishedAt: status === ArticleStatus.PUBLISHED ? at : null });
  addVersion(em, article, authorId, null, at);
  emitEvent(em, 'article.created', tenantId, { id: article.id, version: 1, status, locale: article.locale });
  if (status === ArticleStatus.PUBLISHED) emitEvent(em, 'article.published', tenantId, { id: article.id, version: 1 });
  await em.flush();
  await indexForKeywords(em, article);
  return article;
}

export async function createArticle(ctx: KnowledgeContext, input: ArticleInputData): Promise<Article> {
  const caller = authorize(ctx.identity, WRITE);
  return ctx.em.transactional((em) => insertArticle(em, caller.tenantId, input, authorOf(caller)));
}

/** Locks the article row for a write; NOT_FOUND for another tenant's or none. */
async function lockArticle(em: EntityManager, id: string, tenantId: string): Promise<Article> {
  const article = isUuid(id) ? await em.findOne(Article, { id, tenantId }, { lockMode: LockMode.PESSIMISTIC_WRITE }) : null;
  if (!article) throw new NotFoundError('Article', id);
  return article;
}

function checkVersion(article: Article, expectedVersion: number | null | undefined) {
  if (expectedVersion !== null && expectedVersion !== undefined && expectedVersion !== article.version) {
    throw new ConflictError(`Article ${article.id} changed since version ${expectedVersion}; it is at version ${article.version}`, { currentVersion: article.version });
  }
}

/** A new version with `input`; CONFLICT when `expectedVersion` is not the current one. */
export async function updateArticle(ctx: KnowledgeContext, id: string, input: ArticleInputData, expectedVersion?: number | null): Promise<Article> {
  const caller = authorize(ctx.identity, WRITE);
  const data = clean(input);
  return ctx.em.transactional(async (em) => {
    const article = await lockArticle(em, id, caller.tenantId);
    checkVersion(article, expectedVersion);
    if (article.status === ArticleStatus.ARCHIVED) throw new InvalidTransitionError('An archived article cannot be edited; publish it or restore a version first', article.status, []);
    Object.assign(article, data, { version: article.version + 1 });
    addVersion(em, article, authorOf(caller));
    emitEvent(em, 'article.updated', caller.tenantId, { id: article.id, version: article.version, status: article.status });
    await em.flush();
    await indexForKeywords(em, article);
    return article;
  });
}

/** A new version carrying `version`'s title and body (the history stays as it was). */
export async function restoreArticleVersion(ctx: KnowledgeContext, id: string, version: number): Promise<Article> {
  const caller = authorize(ctx.identity, WRITE);
  return ctx.em.transactional(async (em) => {
    const article = await lockArticle(em, id, caller.tenantId);
    const old = await em.findOne(ArticleVersion, { articleId: article.id, version, tenantId: caller.tenantId });
    if (!old) throw new NotFoundError('ArticleVersion', `${id}@${version}`);
    Object.assign(article, { title: old.title, body: old.body, version: article.version + 1 });
    if (article.status === ArticleStatus.ARCHIVED) article.status = ArticleStatus.DRAFT;
    addVersion(em, article, authorOf(caller), version);
    emitEvent(em, 'article.updated', caller.tenantId, { id: article.id, version: article.version, status: article.status, restoredFrom: version });
    await em.flush();
    await indexForKeywords(em, article);
    return article;
  });
}

const TRANSITIONS: Record<'publish' | 'archive', { from: ArticleStatus[]; to: ArticleStatus; event: string }> = {
  publish: { from: [ArticleStatus.DRAFT, ArticleStatus.ARCHIVED], to: ArticleStatus.PUBLISHED, event: 'article.published' },
  archive: { from: [ArticleStatus.DRAFT, ArticleStatus.PUBLISHED], to: ArticleStatus.ARCHIVED, event: 'article.archived' },
};

export async function transitionArticle(ctx: KnowledgeContext, id: string, action: 'publish' | 'archive'): Promise<Article> {
  const caller = authorize(ctx.identity, WRITE);
  const t = TRANSITIONS[action];
  return ctx.em.transactional(async (em) => {
    const article = await lockArticle(em, id, caller.tenantId);
    if (!t.from.includes(article.status)) throw new InvalidTransitionError(`A ${article.status} article cannot be ${action === 'publish' ? 'published' : 'archived'}`, article.status, t.from);
    article.status = t.to;
    if (t.to === ArticleStatus.PUBLISHED) article.publishedAt = new Date();
    emitEvent(em, t.event, caller.tenantId, { id: article.id, version: article.version });
    await em.flush();
    return article;
  });
}

/** One vote per reader (user, or API key); voting again replaces it. Counts are recomputed in the same transaction. */
export async function rateArticle(ctx: KnowledgeContext, id: string, helpful: boolean): Promise<Article> {
  const caller = authorize(ctx.identity, READ);
  const voter = caller.kind === 'user' ? `user:${caller.userId}` : `apiKey:${caller.apiKeyId}`;
  await visibleArticle(ctx, id, caller);
  return ctx.em.transactional(async (em) => {
    const article = await lockArticle(em, id, caller.tenantId);
    await em.upsert(ArticleRating, { articleId: article.id, voter, tenantId: caller.tenantId, helpful });
    const s = em.config.get('schema');
    const [counts] = await em.getConnection().execute<{ yes: number; no: number }[]>(
      `select count(*) filter (where "helpful")::int as yes, count(*) filter (where not "helpful")::int as no from "${s}"."article_rating" where "article_id" = ? and "tenant_id" = ?`,
      [article.id, caller.tenantId],
      'all',
      em.getTransactionContext(),
    );
    article.helpfulCount = counts!.yes;
    article.notHelpfulCount = counts!.no;
    emitEvent(em, 'article.rated', caller.tenantId, { id: article.id, helpful });
    await em.flush();
    return article;
  });
}
