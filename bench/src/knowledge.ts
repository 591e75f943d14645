/**
 * `npm run bench:knowledge`: searchArticles per mode on 10,000 articles of one tenant among
 * 50,000 (four other tenants hold 10,000 each), straight to the knowledge subgraph with a
 * freshly signed identity per request. Prints requests/s, p50/p95 and SQL statements per
 * search (from the subgraph's per-request count): constant, whatever the data size.
 * DATABASE_URL: that PostgreSQL; else the embedded PGlite. BENCH_SECONDS (5),
 * BENCH_CONNECTIONS (10), BENCH_KNOWLEDGE_ARTICLES (10000 per tenant).
 */
import { createLogger, IDENTITY_HEADER, localEmbedding, signIdentity, startEmbeddedPostgres, type EmbeddedPostgres } from '@switchboard/kit';
import { bootstrap, chunkArticle, readKnowledgeConfig } from '@switchboard/knowledge';
import { sparse } from '@switchboard/knowledge/src/modules/search/search.service';
import { ACME_ARTICLES } from '@switchboard/knowledge/src/demo/help-center';
import { HELD_OUT, TUNING } from '@switchboard/knowledge/test/fixtures/questions';
import { randomBytes, randomUUID } from 'node:crypto';
import { percentile } from './measure';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const PER_TENANT = Number(process.env.BENCH_KNOWLEDGE_ARTICLES ?? 10_000);
const OTHER_TENANTS = 4;
const log = (msg: string) => process.stderr.write(`${msg}\n`);

const FILLER = 'account order store payment invoice shipping customer product refund team settings report export import domain discount checkout plan billing security'.split(' ');

async function main() {
  let embedded: EmbeddedPostgres | undefined;
  const databaseUrl = process.env.DATABASE_URL ?? (embedded = await startEmbeddedPostgres()).url;
  const secret = randomBytes(24).toString('hex');
  const prefix = `benchk${randomBytes(3).toString('hex')}_`;
  const config = { ...readKnowledgeConfig({ KNOWLEDGE_PORT: '0', HOST: '127.0.0.1', DB_SCHEMA_PREFIX: prefix, INTERNAL_SECRET: secret, LOG_LEVEL: 'error' }), DATABASE_URL: databaseUrl };
  // SQL statements per search, exactly: the subgraph's 'graphql request' log line counts them per request.
  const perRequest: number[] = [];
  const logger = createLogger({}, 'info', (line) => {
    if (!line.includes('"graphql request"')) return;
    const n = (JSON.parse(line) as { sqlStatements?: number }).sqlStatements;
    if (n !== undefined) perRequest.push(n);
  });
  const app = await bootstrap(config, { logger });
  const s = app.orm.config.get('schema');
  const conn = app.orm.em.getConnection();
  const tenantId = randomUUID();
  log(`database: ${embedded ? 'embedded PGlite' : 'PostgreSQL'}; ${PER_TENANT} articles for the measured tenant, ${PER_TENANT * OTHER_TENANTS} for ${OTHER_TENANTS} others`);

  // The measured tenant's articles: the fixture help center, varied, in batches (straight SQL: no events to drain).
  const t0 = Date.now();
  const BATCH = 100;
  for (let start = 0; start < PER_TENANT; start += BATCH) {
    const articles: unknown[] = [];
    const chunks: unknown[] = [];
    let rows = 0;
    let chunkRows = 0;
    for (let i = start; i < Math.min(PER_TENANT, start + BATCH); i++) {
      const base = ACME_ARTICLES[i % ACME_ARTICLES.length]!;
      const id = randomUUID();
      const extra = Array.from({ length: 12 }, (_, j) => FILLER[(i * 7 + j * 3) % FILLER.length]).join(' ');
      const title = i < ACME_ARTICLES.length ? base.title : `${base.title} (${Math.floor(i / ACME_ARTICLES.length)})`;
      const body = `${base.body}\n\nSee also: ${extra}.`;
      articles.push(id, tenantId, title, body, `{${base.tags.join(',')}}`, base.category);
      rows += 1;
      const parts = [{ heading: null, text: [title, base.category, ...base.tags].join(' · ') }, ...chunkArticle(body)];
      parts.forEach((c, ordinal) => {
        const text = ordinal === 0 ? c.text : [title, c.heading, c.text].filter(Boolean).join('\n');
        const { dims, vals } = sparse(localEmbedding(text));
        chunks.push(id, ordinal, tenantId, c.heading, c.text, dims, vals);
        chunkRows += 1;
      });
    }
    await conn.execute(
      `insert into "${s}"."article" ("id", "tenant_id", "title", "body", "tags", "category", "locale", "status", "version", "created_at", "updated_at", "search_config")
       values ${Array(rows).fill(`(?, ?, ?, ?, ?::text[], ?, 'en', 'PUBLISHED', 1, now(), now(), 'english')`).join(', ')}`,
      articles,
    );
    await conn.execute(
      `insert into "${s}"."article_chunk" ("article_id", "ordinal", "tenant_id", "heading", "text", "dims", "vals", "version") values ${Array(chunkRows).fill('(?, ?, ?, ?, ?, ?::smallint[], ?::real[], 1)').join(', ')}`,
      chunks,
    );
  }
  const fold = (await conn.execute(`select 1 from pg_extension where extname = 'unaccent'`)).length ? (x: string) => `public.unaccent(${x})` : (x: string) => x;
  await conn.execute(
    `update "${s}"."article" set "search_vector" = setweight(to_tsvector('english', ${fold('"title"')}), 'A') || setweight(to_tsvector('english', ${fold(`array_to_string("tags", ' ')`)}), 'B') || setweight(to_tsvector('english', ${fold('"body"')}), 'C')`,
  );
  // The other tenants: copies under their own ids (what matters is that search must skip them).
  for (let t = 0; t < OTHER_TENANTS; t++) {
    const other = randomUUID();
    await conn.execute(
      `insert into "${s}"."article" ("id", "tenant_id", "title", "body", "tags", "category", "locale", "status", "version", "created_at", "updated_at", "search_config", "search_vector")
       select md5("id"::text || ?)::uuid, ?, "title", "body", "tags", "category", "locale", "status", "version", "created_at", "updated_at", "search_config", "search_vector" from "${s}"."article" where "tenant_id" = ?`,
      [other, other, tenantId],
    );
    await conn.execute(
      `insert into "${s}"."article_chunk" ("article_id", "ordinal", "tenant_id", "heading", "text", "dims", "vals", "version")
       select md5("article_id"::text || ?)::uuid, "ordinal", ?, "heading", "text", "dims", "vals", "version" from "${s}"."article_chunk" where "tenant_id" = ?`,
      [other, other, tenantId],
    );
  }
  await conn.execute(`analyze "${s}"."article"`);
  await conn.execute(`analyze "${s}"."article_chunk"`);
  const [counts] = await conn.execute(`select (select count(*) from "${s}"."article")::int as articles, (select count(*) from "${s}"."article_chunk")::int as chunks`);
  log(`seeded ${counts.articles} articles, ${counts.chunks} chunks in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const questions = [...TUNING, ...HELD_OUT].map((q) => q.q);
  const rows: string[] = [];
  for (const mode of ['KEYWORD', 'SEMANTIC', 'HYBRID']) {
    const body = (q: string) => JSON.stringify({ query: `query($q: String!, $m: SearchMode) { searchArticles(query: $q, mode: $m, first: 5) { version score snippet article { id title } } }`, variables: { q, m: mode } });
    const send = async (q: string) => {
      const headers = { 'content-type': 'application/json', [IDENTITY_HEADER]: signIdentity({ kind: 'user', tenantId, userId: randomUUID(), roles: ['AGENT'], scopes: [], audience: 'knowledge' }, secret) };
      const res = await fetch(app.url, { method: 'POST', headers, body: body(q) });
      const json = (await res.json()) as { data?: { searchArticles: unknown[] }; errors?: unknown[] };
      if (res.status !== 200 || json.errors || !json.data?.searchArticles.length) throw new Error(`${mode} answered ${res.status}: ${JSON.stringify(json).slice(0, 300)}`);
    };
    await send(questions[0]!); // warm up, and refuse to time a wrong answer
    perRequest.length = 0;
    const latencies: number[] = [];
    const end = Date.now() + SECONDS * 1000;
    let next = 0;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (Date.now() < end) {
          const q = questions[next++ % questions.length]!;
          const t = performance.now();
          await send(q);
          latencies.push(performance.now() - t);
        }
      }),
    );
    const [low, high] = [Math.min(...perRequest), Math.max(...perRequest)];
    const sql = low === high ? String(low) : `${low}–${high}`;
    latencies.sort((a, b) => a - b);
    const row = `| ${mode} | ${(latencies.length / SECONDS).toFixed(1)} | ${percentile(latencies, 50).toFixed(1)} | ${percentile(latencies, 95).toFixed(1)} | ${sql} |`;
    log(row);
    rows.push(row);
  }
  console.log(
    [
      `searchArticles on ${PER_TENANT} articles of one tenant among ${counts.articles} (${counts.chunks} chunks), ${embedded ? 'embedded PGlite' : 'PostgreSQL'}, ${SECONDS}s x ${CONNECTIONS} connections, straight to the knowledge subgraph:`,
      '',
      '| mode | req/s | p50 ms | p95 ms | SQL/search |',
      '| --- | ---: | ---: | ---: | ---: |',
      ...rows,
    ].join('\n'),
  );
  await conn.execute(`drop schema "${s}" cascade`);
  await app.close();
  await embedded?.stop();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
