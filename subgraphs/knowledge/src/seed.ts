import type { MikroORM } from '@mikro-orm/postgresql';
import type { DemoUser, SeedResult } from '@switchboard/kit';
import { ArticleStatus, Article } from './modules/articles/article.entity';
import { insertArticle } from './modules/articles/articles.service';
import { ACME_ARTICLES, ACME_ARTICLES_DE, GLOBEX_ARTICLES, type HelpArticle } from './demo/help-center';

/**
 * Demo data once: acme's help center (an online-shop platform, English and German) and
 * globex's (smart-home devices), written by each tenant's owner, PUBLISHED except the
 * drafts marked so. Embeddings follow from the `article.*` events, as for any edit.
 */
export async function seedDemoArticles(orm: MikroORM, directory: DemoUser[] | undefined): Promise<SeedResult> {
  if (!directory?.length) return { seeded: false };
  const em = orm.em.fork();
  if (await em.count(Article, {}, { filters: false })) return { seeded: false };
  const bySlug = new Map<string, DemoUser>();
  for (const u of directory) if (!bySlug.has(u.tenantSlug) || u.role === 'OWNER') bySlug.set(u.tenantSlug, u);
  const plan: [string, HelpArticle[]][] = [
    ['acme', [...ACME_ARTICLES, ...ACME_ARTICLES_DE]],
    ['globex', GLOBEX_ARTICLES],
  ];
  const start = Date.now() - 30 * 86_400_000;
  await em.transactional(async (tx) => {
    for (const [slug, articles] of plan) {
      const owner = bySlug.get(slug);
      if (!owner) continue;
      let i = 0;
      for (const a of articles) {
        await insertArticle(tx, owner.tenantId, a, owner.id, a.draft ? ArticleStatus.DRAFT : ArticleStatus.PUBLISHED, new Date(start + i++ * 3_600_000));
      }
    }
  });
  return { seeded: true };
}
