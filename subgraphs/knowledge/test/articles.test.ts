import { randomUUID } from 'node:crypto';
import { subgraph } from '../src/subgraph';
import { bootstrap } from '../src/app';
import { eventually, silent, startKnowledge } from './helpers';

let k: Awaited<ReturnType<typeof startKnowledge>>;
const acme = randomUUID();
const globex = randomUUID();
const author = { tenantId: acme, role: 'ADMIN' as const, userId: randomUUID() };
const agent = { tenantId: acme, role: 'AGENT' as const };
const readKey = { tenantId: acme, scopes: ['knowledge:read'] };
const outsider = { tenantId: globex, role: 'OWNER' as const };

beforeAll(async () => {
  k = await startKnowledge();
});
afterAll(() => k?.close());

const FIELDS = 'id title body status version tags locale category views helpfulCount notHelpfulCount author { id } versions { version title body author { id } }';
const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;

async function create(input: Record<string, unknown>, caller = author) {
  const r = await k.gql(`mutation($i: ArticleInput!) { createArticle(input: $i) { ${FIELDS} } }`, { i: input }, caller);
  expect(r.errors).toBeUndefined();
  return r.data.createArticle;
}
const publish = (id: string, caller: any = author) => k.gql(`mutation($id: ID!) { publishArticle(id: $id) { id status version } }`, { id }, caller);
const update = (id: string, input: Record<string, unknown>, expectedVersion?: number) =>
  k.gql(`mutation($id: ID!, $i: ArticleInput!, $v: Int) { updateArticle(id: $id, input: $i, expectedVersion: $v) { ${FIELDS} } }`, { id, i: input, v: expectedVersion }, author);
const read = (id: string, caller: any) => k.gql(`query($id: ID!) { article(id: $id) { id title status views } }`, { id }, caller);
const searchFor = (query: string, caller: any, mode = 'HYBRID', extra: Record<string, unknown> = {}) =>
  k.gql(`query($q: String!, $m: SearchMode, $l: String, $t: [String!]) { searchArticles(query: $q, mode: $m, locale: $l, tags: $t) { version score snippet article { id title } } }`, { q: query, m: mode, ...extra }, caller);

describe('articles', () => {
  it('keeps every version; restore makes a new version with the old content', async () => {
    const a = await create({ title: 'Reset your password', body: 'Use the link on the sign-in page.', tags: ['Login'], category: 'account' });
    expect(a).toMatchObject({ status: 'DRAFT', version: 1, tags: ['login'], locale: 'en', author: { id: author.userId } });
    const v2 = await update(a.id, { title: 'Reset your password', body: 'Choose Forgot password? on the sign-in page.' }, 1);
    expect(v2.errors).toBeUndefined();
    expect(v2.data.updateArticle.version).toBe(2);
    const restored = await k.gql(`mutation($id: ID!) { restoreArticleVersion(id: $id, version: 1) { ${FIELDS} } }`, { id: a.id }, author);
    expect(restored.data.restoreArticleVersion).toMatchObject({ version: 3, body: 'Use the link on the sign-in page.' });
    expect(restored.data.restoreArticleVersion.versions.map((v: any) => [v.version, v.body])).toEqual([
      [1, 'Use the link on the sign-in page.'],
      [2, 'Choose Forgot password? on the sign-in page.'],
      [3, 'Use the link on the sign-in page.'],
    ]);
    expect(code(await k.gql(`mutation($id: ID!) { restoreArticleVersion(id: $id, version: 9) { id } }`, { id: a.id }, author))).toBe('NOT_FOUND');
  });

  it('answers CONFLICT to a stale expectedVersion and changes nothing', async () => {
    const a = await create({ title: 'Invoices', body: 'Billing → Invoices.' });
    expect((await update(a.id, { title: 'Invoices', body: 'first edit' }, 1)).errors).toBeUndefined();
    const stale = await update(a.id, { title: 'Invoices', body: 'lost edit' }, 1);
    expect(code(stale)).toBe('CONFLICT');
    const now = await k.gql(`query($id: ID!) { article(id: $id) { version body versions { version } } }`, { id: a.id }, author);
    expect(now.data.article).toMatchObject({ version: 2, body: 'first edit', versions: [{ version: 1 }, { version: 2 }] });
  });

  it('shows drafts to authors only: an agent or a knowledge:read key gets NOT_FOUND until it is published', async () => {
    const a = await create({ title: 'Shipping to Mars', body: 'Interplanetary delivery takes a while.' });
    for (const caller of [agent, readKey]) {
      expect(code(await read(a.id, caller))).toBe('NOT_FOUND');
      expect((await k.gql(`{ articles(first: 100) { nodes { id } } }`, {}, caller)).data.articles.nodes.map((n: any) => n.id)).not.toContain(a.id);
      expect((await searchFor('interplanetary delivery mars', caller)).data.searchArticles.map((h: any) => h.article.id)).not.toContain(a.id);
    }
    expect(code(await publish(a.id, agent))).toBe('FORBIDDEN');
    expect(code(await publish(a.id, readKey))).toBe('FORBIDDEN');
    expect((await publish(a.id)).data.publishArticle).toMatchObject({ status: 'PUBLISHED', version: 1 });
    expect((await read(a.id, agent)).data.article).toMatchObject({ status: 'PUBLISHED', views: 1 });
    expect((await read(a.id, readKey)).data.article.views).toBe(2);
    const hits = (await searchFor('interplanetary delivery', readKey, 'KEYWORD')).data.searchArticles;
    expect(hits[0]).toMatchObject({ version: 1, article: { id: a.id } });
    expect(code(await publish(a.id))).toBe('INVALID_TRANSITION');

    // Archived: authors still read it, nobody finds it.
    await k.gql(`mutation($id: ID!) { archiveArticle(id: $id) { status } }`, { id: a.id }, author);
    expect(code(await read(a.id, agent))).toBe('NOT_FOUND');
    expect((await read(a.id, author)).data.article.status).toBe('ARCHIVED');
    for (const mode of ['KEYWORD', 'SEMANTIC', 'HYBRID']) {
      expect((await searchFor('interplanetary delivery mars', author, mode)).data.searchArticles.map((h: any) => h.article.id)).not.toContain(a.id);
    }
  });

  it('keeps tenants apart: another tenant’s article is NOT_FOUND and never in its search', async () => {
    const a = await create({ title: 'Globex-free zone: acme secret recipe', body: 'The acme secret recipe is cinnamon.' });
    await publish(a.id);
    await eventually(async () => ((await searchFor('secret recipe cinnamon', agent, 'SEMANTIC')).data.searchArticles.length ? true : undefined));
    expect(code(await read(a.id, outsider))).toBe('NOT_FOUND');
    for (const mutation of [
      `publishArticle(id: $id) { id }`,
      `archiveArticle(id: $id) { id }`,
      `rateArticle(id: $id, helpful: true) { id }`,
      `restoreArticleVersion(id: $id, version: 1) { id }`,
      `updateArticle(id: $id, input: { title: "mine now", body: "x" }) { id }`,
    ]) {
      expect(code(await k.gql(`mutation($id: ID!) { ${mutation} }`, { id: a.id }, outsider))).toBe('NOT_FOUND');
    }
    for (const mode of ['KEYWORD', 'SEMANTIC', 'HYBRID']) expect((await searchFor('acme secret recipe cinnamon', outsider, mode)).data.searchArticles).toEqual([]);
    expect((await k.gql(`{ articles { totalCount } }`, {}, outsider)).data.articles.totalCount).toBe(0);
    // Nothing of it changed.
    expect((await read(a.id, author)).data.article).toMatchObject({ title: a.title, status: 'PUBLISHED' });
  });

  it('an edit changes what SEMANTIC finds, once the embedding event has been handled', async () => {
    const a = await create({ title: 'Store setup', body: '## Domains\nPoint a CNAME record of your domain at our servers.' });
    await publish(a.id);
    const found = (q: string, version: number) => async () => {
      const hits = (await searchFor(q, agent, 'SEMANTIC')).data.searchArticles as any[];
      const hit = hits.find((h) => h.article.id === a.id && h.version === version);
      return hit ? hit : undefined;
    };
    const before = await eventually(found('cname record domain', 1));
    expect(before.snippet).toContain('CNAME');
    await update(a.id, { title: 'Store setup', body: '## Gift cards\nSell prepaid gift cards that customers redeem at checkout.' }, 1);
    const hit = await eventually(found('prepaid gift cards redeem', 2));
    expect(hit.snippet).toContain('gift cards');
    // The old content is gone from the semantic index.
    const old = (await searchFor('cname record domain', agent, 'SEMANTIC')).data.searchArticles as any[];
    expect(old.find((h) => h.article.id === a.id && h.version === 1)).toBeUndefined();
    expect(old.find((h) => h.article.id === a.id)?.score ?? 0).toBeLessThan(before.score / 2);
  });

  it('counts one vote per reader; voting again replaces it', async () => {
    const a = await create({ title: 'Votes', body: 'Rate me.' });
    await publish(a.id);
    const rate = (helpful: boolean, caller: any) => k.gql(`mutation($id: ID!, $h: Boolean!) { rateArticle(id: $id, helpful: $h) { helpfulCount notHelpfulCount } }`, { id: a.id, h: helpful }, caller);
    const me = { tenantId: acme, role: 'AGENT' as const, userId: randomUUID() };
    await rate(true, me);
    await rate(true, { ...me, userId: randomUUID() });
    expect((await rate(false, me)).data.rateArticle).toEqual({ helpfulCount: 1, notHelpfulCount: 1 });
  });

  it('filters articles and refuses bad input', async () => {
    await create({ title: 'Rechnungen herunterladen', body: 'Unter Abrechnung findest du alle Rechnungen.', locale: 'de', tags: ['rechnung'] });
    const de = await k.gql(`{ articles(filter: { locale: "de", tags: ["rechnung"] }) { nodes { title } } }`, {}, author);
    expect(de.data.articles.nodes).toEqual([{ title: 'Rechnungen herunterladen' }]);
    expect(code(await k.gql(`mutation { createArticle(input: { title: " ", body: "x" }) { id } }`, {}, author))).toBe('BAD_USER_INPUT');
    expect(code(await k.gql(`{ searchArticles(query: "  ") { score } }`, {}, agent))).toBe('BAD_USER_INPUT');
    expect(code(await k.gql(`mutation { createArticle(input: { title: "x", body: "x" }) { id } }`, {}, agent))).toBe('FORBIDDEN');
  });

  it('finds German articles with the German configuration, accents folded', async () => {
    const a = await create({ title: 'Rücksendung eines Artikels', body: 'Rücksendungen sind innerhalb von 30 Tagen möglich.', locale: 'de' });
    await publish(a.id);
    const hits = (await searchFor('rucksendungen', agent, 'KEYWORD', { l: 'de' })).data.searchArticles;
    expect(hits.map((h: any) => h.article.id)).toContain(a.id);
  });

  it('seeds two help centers once', async () => {
    const owners = [acme, globex].map((tenantId, i) => ({ id: randomUUID(), tenantId, tenantSlug: i ? 'globex' : 'acme', name: 'x', email: `${i}@x.test`, role: 'OWNER', skills: [] }));
    const fresh = await bootstrap(k.config(`${k.db.schemaPrefix}s_`), { logger: silent });
    try {
      expect(await subgraph.seed!(fresh, { directory: owners, logger: silent })).toEqual({ seeded: true });
      expect(await subgraph.seed!(fresh, { directory: owners, logger: silent })).toEqual({ seeded: false });
      const counts = await fresh.orm.em.getConnection().execute(`select tenant_id, locale, count(*)::int as n from "${fresh.orm.config.get('schema')}"."article" group by 1, 2 order by 1, 2`);
      expect(counts.filter((c: any) => c.tenant_id === acme).map((c: any) => c.locale)).toEqual(['de', 'en']);
      expect(counts.find((c: any) => c.tenant_id === acme && c.locale === 'en')?.n).toBeGreaterThanOrEqual(20);
      expect(counts.some((c: any) => c.tenant_id === globex)).toBe(true);
    } finally {
      await fresh.close();
    }
  });
});
