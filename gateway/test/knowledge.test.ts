import { startStack, type Stack } from './stack';

let stack: Stack;
let admin: Record<string, string>;
let agent: Record<string, string>;
let globexAgent: Record<string, string>;

const SEARCH = `query($q: String!, $mode: SearchMode, $locale: String) {
  searchArticles(query: $q, mode: $mode, locale: $locale, first: 3) { version score snippet article { id title status author { name } } }
}`;
const code = (r: { errors?: { extensions?: Record<string, any> }[] }) => r.errors?.[0]?.extensions?.code;

/** Embeddings follow the seed's `article.*` events: wait until every seeded article has its chunks. */
async function embedded() {
  const orm = stack.subgraphs.knowledge!.orm;
  const s = orm.config.get('schema');
  for (let i = 0; i < 300; i++) {
    const [row] = await orm.em.getConnection().execute(
      `select (select count(*) from "${s}"."article")::int as articles, (select count(distinct "article_id") from "${s}"."article_chunk")::int as embedded`,
    );
    if (row.articles > 0 && row.embedded === row.articles) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the demo help centers were never embedded');
}

beforeAll(async () => {
  stack = await startStack({ subgraphs: ['knowledge'], seed: ['tenants', 'knowledge'] });
  admin = await stack.as('admin@acme.test');
  agent = await stack.as('agent@acme.test');
  globexAgent = await stack.as('agent@globex.test');
  await embedded();
}, 120_000);
afterAll(() => stack.close());

describe('knowledge through the gateway', () => {
  it('answers a customer question with the right demo article, its version and author (from tenants)', async () => {
    for (const mode of ['KEYWORD', 'SEMANTIC', 'HYBRID']) {
      const res = await stack.gql(SEARCH, { q: 'my order arrived broken, what do I do?', mode }, agent);
      expect(res.errors).toBeUndefined();
      // KEYWORD only has the words (and "order … arrived" is another title): top 3; the others rank it first.
      const hit = res.data.searchArticles.find((h: any) => h.article.title === 'An item arrived damaged or broken');
      expect(hit).toMatchObject({ version: 1, article: { status: 'PUBLISHED', author: { name: 'Ada Admin' } } });
      if (mode !== 'KEYWORD') expect(res.data.searchArticles[0]).toBe(hit);
      expect(hit.snippet.length).toBeGreaterThan(20);
    }
    const de = await stack.gql(SEARCH, { q: 'Wie setze ich mein Passwort zurück?', locale: 'de' }, agent);
    expect(de.data.searchArticles[0].article.title).toBe('Passwort zurücksetzen');
  });

  it('hides drafts from agents and knowledge:read keys, shows them to authors', async () => {
    const drafts = `{ articles(filter: { status: DRAFT }, first: 50) { totalCount nodes { id title } } }`;
    const mine = await stack.gql(drafts, {}, admin);
    expect(mine.data.articles.totalCount).toBe(1);
    const draftId = mine.data.articles.nodes[0].id;
    expect((await stack.gql(drafts, {}, agent)).data.articles.totalCount).toBe(0);
    expect(code(await stack.gql(`query($id: ID!) { article(id: $id) { id } }`, { id: draftId }, agent))).toBe('NOT_FOUND');

    const key = await stack.gql(`mutation { createApiKey(input: { name: "assistant", kind: FIRST_PARTY, scopes: ["knowledge:read"] }) { secret } }`, {}, admin);
    expect(key.errors).toBeUndefined();
    const asKey = { 'x-api-key': key.data.createApiKey.secret };
    expect(code(await stack.gql(`query($id: ID!) { article(id: $id) { id } }`, { id: draftId }, asKey))).toBe('NOT_FOUND');
    // A key without users:read gets the articles, just not their authors' names.
    const hits = await stack.gql(`{ searchArticles(query: "how long do refunds take to show up on my card") { version article { title } } }`, {}, asKey);
    expect(hits.errors).toBeUndefined();
    expect(hits.data.searchArticles[0].article.title).toBe('Refunds for your subscription');
    expect(code(await stack.gql(`mutation { createArticle(input: { title: "x", body: "y" }) { id } }`, {}, asKey))).toBe('FORBIDDEN');
  });

  it('keeps globex out of acme’s help center', async () => {
    const acmeHit = (await stack.gql(SEARCH, { q: 'connect my own domain dns cname' }, agent)).data.searchArticles[0];
    expect(code(await stack.gql(`query($id: ID!) { article(id: $id) { id } }`, { id: acmeHit.article.id }, globexAgent))).toBe('NOT_FOUND');
    for (const mode of ['KEYWORD', 'SEMANTIC', 'HYBRID']) {
      const res = await stack.gql(SEARCH, { q: 'connect my own domain dns cname', mode }, globexAgent);
      expect(res.data.searchArticles.map((h: any) => h.article.id)).not.toContain(acmeHit.article.id);
    }
    const globexHit = (await stack.gql(SEARCH, { q: 'my hub light keeps blinking orange' }, globexAgent)).data.searchArticles[0];
    expect(globexHit.article.title).toBe('Set up your Globex Hub');
  });

  it('writes versions as an author and refuses a stale expectedVersion with CONFLICT', async () => {
    const created = await stack.gql(`mutation { createArticle(input: { title: "Gift cards", body: "Sell gift cards.", tags: ["marketing"] }) { id version status } }`, {}, admin);
    expect(created.data.createArticle).toMatchObject({ version: 1, status: 'DRAFT' });
    const id = created.data.createArticle.id;
    const UPDATE = `mutation($id: ID!, $v: Int) { updateArticle(id: $id, input: { title: "Gift cards", body: "Sell and redeem gift cards." }, expectedVersion: $v) { version versions { version author { name } } } }`;
    expect((await stack.gql(UPDATE, { id, v: 1 }, admin)).data.updateArticle).toEqual({ version: 2, versions: [{ version: 1, author: { name: 'Ada Admin' } }, { version: 2, author: { name: 'Ada Admin' } }] });
    const stale = await stack.gql(UPDATE, { id, v: 1 }, admin);
    expect(code(stale)).toBe('CONFLICT');
    expect(code(await stack.gql(UPDATE, { id, v: 2 }, agent))).toBe('FORBIDDEN');
  });
});
