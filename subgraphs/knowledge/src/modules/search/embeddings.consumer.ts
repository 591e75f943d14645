import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { LockMode } from '@mikro-orm/core';
import { idempotent, type EventConsumer } from '@switchboard/kit';
import { Article, ArticleStatus } from '../articles/article.entity';
import { chunkArticle } from './chunking';
import type { Embedder } from './embedder';
import { sparse } from './search.service';

export const EMBEDDINGS_GROUP = 'knowledge.embeddings';
export const EMBEDDING_EVENTS = ['article.created', 'article.updated', 'article.published', 'article.archived'] as const;

/**
 * Brings one article's chunks to its current version: chunked by heading and paragraph,
 * each chunk embedded with the article title and its heading, the old chunks replaced in
 * one statement each (delete, insert), under the article's row lock. An archived article has no chunks; an article
 * whose chunks are already at its version is left alone, so redeliveries cost nothing.
 */
export async function embedArticle(em: EntityManager, embedder: Embedder, tenantId: string, articleId: string): Promise<void> {
  const s = em.config.get('schema');
  const conn = em.getConnection();
  const trx = em.getTransactionContext();
  // The row lock serialises two consumers of the same article (two events, two replicas).
  const article = await em.findOne(Article, { id: articleId, tenantId }, { filters: false, lockMode: LockMode.PESSIMISTIC_WRITE });
  if (!article || article.status === ArticleStatus.ARCHIVED) {
    await conn.execute(`delete from "${s}"."article_chunk" where "article_id" = ? and "tenant_id" = ?`, [articleId, tenantId], 'run', trx);
    return;
  }
  const [current] = await conn.execute<{ version: number }[]>(`select max("version") as "version" from "${s}"."article_chunk" where "article_id" = ? and "tenant_id" = ?`, [articleId, tenantId], 'all', trx);
  if (current?.version === article.version) return;
  // The first chunk is the title with its tags and category: short and on topic, it matches
  // a question that names what the article is about even when the body's wording differs.
  const chunks = [{ heading: null, text: [article.title, article.category, ...article.tags].filter(Boolean).join(' · ') }, ...chunkArticle(article.body)];
  const vectors = await embedder.embed(tenantId, chunks.map((c, i) => (i === 0 ? c.text : [article.title, c.heading, c.text].filter(Boolean).join('\n'))));
  await conn.execute(`delete from "${s}"."article_chunk" where "article_id" = ? and "tenant_id" = ?`, [articleId, tenantId], 'run', trx);
  await conn.execute(
    `insert into "${s}"."article_chunk" ("article_id", "ordinal", "tenant_id", "version", "heading", "text", "dims", "vals") values ${chunks.map(() => '(?, ?, ?, ?, ?, ?, ?::smallint[], ?::real[])').join(', ')}`,
    chunks.flatMap((c, i) => {
      const { dims, vals } = sparse(vectors[i]!);
      return [articleId, i, tenantId, article.version, c.heading, c.text, dims, vals];
    }),
    'run',
    trx,
  );
}

/** Embeds articles after they change, from their domain events: never inside the request that changed them. */
export function consumeArticleChanges(orm: MikroORM, events: EventConsumer, embedder: Embedder): () => Promise<void> {
  return events.consume(
    EMBEDDINGS_GROUP,
    EMBEDDING_EVENTS,
    idempotent(orm, EMBEDDINGS_GROUP, (em, event) => embedArticle(em, embedder, event.tenantId, String(event.data.id))),
  );
}
