import { randomUUID } from 'node:crypto';
import { search, SearchMode } from '../src/app';
import { ACME_ARTICLES } from '../src/demo/help-center';
import { ArticleStatus } from '../src/modules/articles/article.entity';
import { insertArticle } from '../src/modules/articles/articles.service';
import { embedArticle } from '../src/modules/search/embeddings.consumer';
import { localEmbedder } from '../src/modules/search/embedder';
import { searchFeatures } from '../src/modules/search/features';
import { HELD_OUT, TUNING, type Question } from './fixtures/questions';
import { startKnowledge } from './helpers';

/**
 * The retrieval evaluation: acme's 32 English help-center articles and 64 customer questions
 * (32 to tune on, 32 held out), top-1 and top-3 per mode with the LOCAL embedding. It prints
 * the figures (README.md shows them) and asserts floors, not exact numbers.
 */
let k: Awaited<ReturnType<typeof startKnowledge>>;
const tenantId = randomUUID();
const byId = new Map<string, string>();

beforeAll(async () => {
  k = await startKnowledge();
  const em = k.app.orm.em.fork();
  em.setFilterParams('tenant', { tenantId });
  for (const a of ACME_ARTICLES) {
    const article = await em.transactional((tx) => insertArticle(tx, tenantId, a, null, ArticleStatus.PUBLISHED));
    byId.set(article.id, a.key);
  }
  for (const id of byId.keys()) await em.transactional((tx) => embedArticle(tx, localEmbedder, tenantId, id));
}, 120_000);
afterAll(() => k?.close());

const caller = { kind: 'user' as const, tenantId, userId: randomUUID(), roles: ['AGENT' as const], scopes: [], exp: 0 };

async function score(questions: Question[], mode: SearchMode) {
  let top1 = 0;
  let top3 = 0;
  const misses: string[] = [];
  for (const { q, key } of questions) {
    const em = k.app.orm.em.fork();
    em.setFilterParams('tenant', { tenantId });
    const hits = await search(em, localEmbedder, caller, { query: q, mode, first: 3 });
    const keys = hits.map((h) => byId.get(h.articleId));
    if (keys[0] === key) top1 += 1;
    else misses.push(`${q} → ${keys.join(', ')} (want ${key})`);
    if (keys.includes(key)) top3 += 1;
  }
  return { top1: top1 / questions.length, top3: top3 / questions.length, misses };
}

describe('retrieval evaluation (LOCAL embeddings)', () => {
  it('scores top-1 and top-3 for each mode on the tuning and held-out questions', async () => {
    expect(ACME_ARTICLES.length).toBeGreaterThanOrEqual(30);
    expect(TUNING.length + HELD_OUT.length).toBeGreaterThanOrEqual(60);
    const features = await searchFeatures(k.app.orm.em.fork());
    const results: Record<string, Record<string, { top1: number; top3: number; misses: string[] }>> = {};
    for (const mode of [SearchMode.KEYWORD, SearchMode.SEMANTIC, SearchMode.HYBRID]) {
      results[mode] = { tuning: await score(TUNING, mode), heldOut: await score(HELD_OUT, mode) };
    }
    const pct = (x: number) => `${Math.round(x * 100)}%`;
    const lines = Object.entries(results).map(([mode, r]) => `| ${mode} | ${pct(r.tuning!.top1)} | ${pct(r.tuning!.top3)} | ${pct(r.heldOut!.top1)} | ${pct(r.heldOut!.top3)} |`);
    console.log(
      [
        `retrieval evaluation: ${ACME_ARTICLES.length} articles, ${TUNING.length} tuning + ${HELD_OUT.length} held-out questions (unaccent ${features.unaccent}, pg_trgm ${features.trigram})`,
        '| mode | tuning top-1 | tuning top-3 | held-out top-1 | held-out top-3 |',
        '| --- | --- | --- | --- | --- |',
        ...lines,
        '',
        ...(process.env.EVAL_VERBOSE ? ['tuning misses:', ...Object.entries(results).flatMap(([mode, r]) => r.tuning!.misses.map((m) => `${mode}: ${m}`))] : []),
      ].join('\n'),
    );
    // Floors that catch a broken mode, not the exact figures.
    for (const mode of ['KEYWORD', 'SEMANTIC', 'HYBRID']) {
      expect(results[mode]!.heldOut!.top3).toBeGreaterThanOrEqual(0.5);
      expect(results[mode]!.tuning!.top3).toBeGreaterThanOrEqual(0.5);
    }
    expect(results.HYBRID!.heldOut!.top1).toBeGreaterThanOrEqual(0.75);
    expect(results.HYBRID!.heldOut!.top3).toBeGreaterThanOrEqual(0.85);
  }, 240_000);
});
