import type { EntityManager, Identity } from '@switchboard/kit';
import DataLoader from 'dataloader';
import { Article, ArticleVersion } from './modules/articles/article.entity';

export interface KnowledgeLoaders {
  /** Articles of the caller's tenant by id (any status); null for ids that are not theirs. One query per request. */
  article: DataLoader<string, Article | null>;
  /** Every version of an article, oldest first. One query per request. */
  versions: DataLoader<string, ArticleVersion[]>;
}

/** Fresh per request: nothing request-scoped is shared between requests. */
export function createLoaders(em: EntityManager, identity: Identity): KnowledgeLoaders {
  const tenantId = identity.tenantId ?? '';
  return {
    article: new DataLoader(async (ids) => {
      const rows = tenantId ? await em.find(Article, { id: { $in: [...ids] }, tenantId }) : [];
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    versions: new DataLoader(async (ids) => {
      const rows = tenantId ? await em.find(ArticleVersion, { articleId: { $in: [...ids] }, tenantId }, { orderBy: { version: 'asc' } }) : [];
      return ids.map((id) => rows.filter((r) => r.articleId === id));
    }),
  };
}
