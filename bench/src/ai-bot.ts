/**
 * npm run bench:ai, second part — the assistant loop end to end (issue 13, "Benchmark").
 *
 * The platform in this process (the registry's subgraphs that `assistants` needs, each on its
 * own port speaking real HTTP, and the gateway), two tenants — the demo's acme and globex —
 * each with acme's demo help center (subgraphs/knowledge/src/demo/help-center.ts, English
 * and German) and the demo assistant (the same instructions and handoff rules), so both
 * tenants' prompts for one question are byte for byte the same: exactly the case where a
 * response cache that forgot the tenant would answer one tenant from the other's entry.
 *
 * Customers write through a channel API key (`startConversation`, then `sendMessage` as
 * CUSTOMER); the bot answers from `message.sent` (hybrid retrieval, the models subgraph, a
 * BOT message through conversations). Questions are the retrieval evaluation's customer
 * questions (subgraphs/knowledge/test/fixtures/questions.ts), each naming the article that
 * answers it, drawn Zipf-like, every tenth with an email and order number in it.
 * BENCH_AI_CONVERSATIONS (500) conversations per run, half per tenant: acme asks its half
 * first, then globex the same questions in the same order, BENCH_AI_CONCURRENCY (4)
 * conversations at a time. Two runs over the same tenants:
 *
 * - cache + routing on: `CHEAPEST` over a cheap and a premium OPENAI_COMPATIBLE model on a
 *   local OpenAI-compatible server (answers after BENCH_AI_SERVER_MS, 10 ms, with the first
 *   retrieved article's first sentence, usage ≈ 4 characters a token), response cache on. The
 *   models are the operator's (MODELS_PLATFORM_PROVIDERS), the same ids for both tenants, so
 *   the tenant is all that separates their cache keys;
 * - off: `ORDERED` to the premium model, `cacheTtlSeconds: 0`.
 *
 * Time to answer: from just before the customer's `sendMessage` to the BOT message arriving
 * at a `messageAdded` subscriber (graphql-ws through the gateway, as an agent). Cost: the sum
 * of `Message.aiTurn.costUsd`. Retrieval hit rate: the first cited article is the one the
 * question names. Cross-tenant cache hits: globex cache hits on a question globex itself had
 * never got an answer to from the model — every such hit was filled by acme (with the cache
 * per tenant, globex's first answer to each question is a miss).
 * DATABASE_URL (else the embedded PostgreSQL) and REDIS_URL (else in-process) as elsewhere;
 * ASSISTANT_ANSWER_CONCURRENCY is passed to the assistants subgraph (1: one answer at a time, as before 2026-12-02).
 */
import { bootstrap as startGateway, readGatewayConfig, type GatewayApp } from '@switchboard/gateway';
import { busFor, createLogger, createRedis, startEmbeddedPostgres, type DemoUser, type EmbeddedPostgres, type LogLevel, type RegisteredSubgraph, type SeedContext } from '@switchboard/kit';
import type { MikroORM } from '@mikro-orm/postgresql';
import { DEMO_ASSISTANT } from '@switchboard/assistants/src/seed';
import { ACME_ARTICLES, ACME_ARTICLES_DE } from '@switchboard/knowledge/src/demo/help-center';
import { ArticleStatus } from '@switchboard/knowledge/src/modules/articles/article.entity';
import { insertArticle } from '@switchboard/knowledge/src/modules/articles/articles.service';
import { HELD_OUT, TUNING } from '@switchboard/knowledge/test/fixtures/questions';
import { startFakeOpenAI, type ChatBody, type FakeBehaviour } from '@switchboard/models/src/fake-openai';
import { DEMO_PASSWORD } from '@switchboard/tenants';
import { createClient, type Client as WsClient } from 'graphql-ws';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { percentile, zipfDraw } from './measure';
import { benchSubgraphs, bootInProcess, dropSchemas } from './subgraphs';

const CONVERSATIONS = Number(process.env.BENCH_AI_CONVERSATIONS ?? 500);
const CONCURRENCY = Math.max(1, Number(process.env.BENCH_AI_CONCURRENCY ?? 4));
const SERVER_MS = Number(process.env.BENCH_AI_SERVER_MS ?? 10);
const TIMEOUT_MS = 120_000;
/** The platform models' ids (`model-<provider>-<model>`, docs/api.md). */
const CHEAP = 'model-bench-cheap';
const PREMIUM = 'model-bench-premium';
const log = (msg: string) => process.stderr.write(`${msg}\n`);

/** The evaluation's questions with the title of the article each names. */
const TITLES = new Map(ACME_ARTICLES.map((a) => [a.key, a.title]));
const DISTINCT = [...TUNING, ...HELD_OUT].map((q) => ({ text: q.q, expected: TITLES.get(q.key)! }));

interface Question {
  text: string;
  expected: string;
}

/** Deterministic: the same draw on every run (Zipf-like over the distinct questions; every 10th with personal data, never a cache hit). */
function questions(n: number): Question[] {
  return zipfDraw(DISTINCT, n, 13).map((q, i) => (i % 10 === 9 ? { ...q, text: `${q.text} My email is customer${i}@example.com, order ${100000 + i}.` } : q));
}

/** The model's answer: the first retrieved article's first sentence, as a model answering from the knowledge would. */
function answerFromKnowledge(body: ChatBody): string {
  const knowledge = body.messages.find((m) => m.role === 'system' && m.content.startsWith('Knowledge:'))?.content ?? '';
  const first = /\[1\] (.+?) \(version \d+\)\n([\s\S]*?)(?:\n\n\[2\] |$)/.exec(knowledge);
  if (!first) return 'I could not find that in the help center.';
  const sentence = first[2]!.replace(/[#*]/g, '').replace(/\s+/g, ' ').trim().split(/(?<=[.!?])\s/)[0];
  return `From “${first[1]}”: ${sentence}`;
}

const TURN = `aiTurn { model cacheHit costUsd confidence citations { version title article { id title } } }`;
const SUBSCRIBE = `subscription($id: ID!) { messageAdded(conversationId: $id) { id authorKind text ${TURN} } }`;
const START = `mutation { startConversation(input: { channel: WEB, contact: { name: "Bench customer" } }) { id status } }`;
const SEND = `mutation($id: ID!, $text: String!) { sendMessage(input: { conversationId: $id, text: $text, as: CUSTOMER }) { message { id } } }`;
const BOT_STATE = `query($id: ID!) { conversation(id: $id) { status messages(last: 10) { nodes { authorKind text ${TURN} } } } }`;

interface Turn {
  model: string;
  cacheHit: boolean;
  costUsd: number;
  confidence: number;
  citations: { version: number; title: string; article: { id: string; title: string } | null }[];
}

interface Outcome {
  tenant: string;
  question: Question;
  kind: 'answer' | 'handoff' | 'timeout' | 'error';
  /** Customer send → the BOT (or handoff SYSTEM) message at the subscriber; null when only a poll saw it. */
  ms: number | null;
  turn?: Turn;
  handoffReason?: string;
}

interface Tenant {
  slug: string;
  admin: Record<string, string>;
  agent: Record<string, string>;
  customer: Record<string, string>;
  ws: WsClient;
}

interface RunSpec {
  name: string;
  on: boolean;
}

interface RunResult {
  run: RunSpec;
  seconds: number;
  outcomes: Outcome[];
  modelCalls: number;
}

async function main() {
  let pg: EmbeddedPostgres | undefined;
  const databaseUrl = process.env.DATABASE_URL ?? (pg = await startEmbeddedPostgres()).url;
  const redisUrl = process.env.REDIS_URL;
  const prefix = `benchbot${randomBytes(3).toString('hex')}_`;
  const stream = `${prefix}events`;
  const secrets = { INTERNAL_SECRET: randomBytes(24).toString('hex'), JWT_SECRET: randomBytes(24).toString('hex') };
  // The services' errors to stderr (LOG_LEVEL raises it), the table alone to stdout.
  const quiet = createLogger({}, (process.env.LOG_LEVEL as LogLevel | undefined) ?? 'error', (line) => process.stderr.write(line));
  const busRedis = redisUrl ? createRedis(redisUrl) : undefined;
  const bus = busFor(busRedis, stream);
  const fake = await startFakeOpenAI();
  const tokens = (s: string) => Math.ceil(s.length / 4);
  const behaviour: FakeBehaviour = {
    delayMs: SERVER_MS,
    text: answerFromKnowledge,
    usage: (body, text) => ({ prompt_tokens: body.messages.reduce((n, m) => n + tokens(m.content) + 4, 3), completion_tokens: tokens(text) }),
  };
  for (const name of ['cheap', 'premium']) fake.behave(name, behaviour);

  // The operator's provider on the local server, shared by both tenants (gpt-4o-like and gpt-4o-mini-like prices, as in the first part):
  // the same model ids in both tenants' cache keys, so only the tenant in the key keeps their cached answers apart.
  const platform = [{ name: 'bench', kind: 'OPENAI_COMPATIBLE', baseUrl: fake.url, apiKey: 'sk-bench', models: [
    { name: 'premium', purpose: 'CHAT', contextWindow: 16384, inputPricePer1K: 0.0025, outputPricePer1K: 0.01, quality: 90 },
    { name: 'cheap', purpose: 'CHAT', contextWindow: 16384, inputPricePer1K: 0.00015, outputPricePer1K: 0.0006, quality: 60 },
  ] }];
  const definitions = benchSubgraphs(['assistants']);
  log(`database: ${pg ? 'embedded PGlite' : 'PostgreSQL'}; Redis: ${redisUrl ? 'yes' : 'no (in-process bus and cache)'}; subgraphs: ${definitions.map((d) => d.name).join(', ')}`);
  const t0 = Date.now();
  const booted = await bootInProcess(
    definitions,
    { ...secrets, HOST: '127.0.0.1', DB_SCHEMA_PREFIX: prefix, LOG_LEVEL: 'error', DATABASE_URL: databaseUrl, EVENT_STREAM: stream, MODELS_PLATFORM_PROVIDERS: JSON.stringify(platform), ...(redisUrl ? { REDIS_URL: redisUrl } : {}), ...(process.env.ASSISTANT_ANSWER_CONCURRENCY ? { ASSISTANT_ANSWER_CONCURRENCY: process.env.ASSISTANT_ANSWER_CONCURRENCY } : {}) },
    { logger: quiet, bus },
  );
  let gateway: GatewayApp | undefined;
  const sockets: WsClient[] = [];
  const results: RunResult[] = [];
  try {
    const { apps } = booted;
    // Demo users (tenants' own seed), acme's help center for both tenants, acme's demo assistant (assistants' seed).
    const seedOf = (name: string) => definitions.find((d) => d.name === name) as RegisteredSubgraph;
    const seeded = await seedOf('tenants').seed?.(apps.tenants!, { logger: quiet });
    const directory = (seeded as { directory?: DemoUser[] } | undefined)?.directory ?? [];
    const owner = (slug: string) => directory.find((u) => u.tenantSlug === slug && u.role === 'OWNER')!;
    await seedHelpCenter(apps.knowledge!.orm as unknown as MikroORM, [owner('acme'), owner('globex')]);
    await seedOf('assistants').seed?.(apps.assistants!, { logger: quiet, directory } satisfies SeedContext);
    await embedded(apps.knowledge!.orm as unknown as MikroORM);
    log(`platform up, help centers embedded in ${((Date.now() - t0) / 1000).toFixed(1)}s`);

    gateway = await startGateway(
      readGatewayConfig({
        ...secrets,
        GATEWAY_PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'error',
        RATE_LIMIT_ENABLED: 'false',
        ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
        ...Object.fromEntries(definitions.map((d) => [d.urlVariable, apps[d.name]!.url])),
      }),
      quiet,
    );
    const url = gateway.url;
    const gql = async (query: string, variables: Record<string, unknown>, headers: Record<string, string>) => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
      const json = (await res.json()) as { data?: any; errors?: unknown[] };
      if (json.errors) throw new Error(JSON.stringify(json.errors));
      return json.data;
    };
    const login = async (email: string) => ({ authorization: `Bearer ${(await gql(`mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }`, { e: email, p: DEMO_PASSWORD }, {})).login.token}` });

    const tenants: Tenant[] = [];
    for (const slug of ['acme', 'globex']) {
      const admin = await login(`admin@${slug}.test`);
      const agent = await login(`agent@${slug}.test`);
      const key = await gql(`mutation { createApiKey(input: { name: "web widget", scopes: ["conversations:read", "conversations:write"] }) { secret } }`, {}, admin);
      if (slug !== 'acme') {
        // acme's assistant comes from the demo seed; globex gets the same one through the API.
        const { name, instructions, knowledgeTags, channels, handoff } = DEMO_ASSISTANT;
        const created = await gql(`mutation($input: AssistantInput!) { createAssistant(input: $input) { id } }`, { input: { name, instructions, knowledgeTags, channels, handoff } }, admin);
        await gql(`mutation($id: ID!) { activateAssistant(id: $id) { active } }`, { id: created.createAssistant.id }, admin);
      }
      const ws = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: agent, retryAttempts: 0, lazy: false });
      sockets.push(ws);
      tenants.push({ slug, admin, agent, customer: { 'x-api-key': key.createApiKey.secret }, ws });
    }

    /** One conversation: start, subscribe, send the question, wait for the bot's answer or the handoff. */
    const converse = async (t: Tenant, question: Question): Promise<Outcome> => {
      const { id } = (await gql(START, {}, t.customer)).startConversation;
      let settle!: (o: Omit<Outcome, 'tenant' | 'question'>) => void;
      const settled = new Promise<Omit<Outcome, 'tenant' | 'question'>>((resolve) => (settle = resolve));
      let sent = 0;
      const stop = t.ws.subscribe<{ messageAdded: { authorKind: string; text: string; aiTurn: Turn | null } }>(
        { query: SUBSCRIBE, variables: { id } },
        {
          next: (r) => {
            const m = r.data?.messageAdded;
            if (!m) return;
            const ms = performance.now() - sent;
            if (m.authorKind === 'BOT') settle({ kind: 'answer', ms, turn: m.aiTurn ?? undefined });
            else if (m.authorKind === 'SYSTEM' && m.text.startsWith('Handed off')) settle({ kind: 'handoff', ms, handoffReason: reason(m.text) });
          },
          error: () => {},
          complete: () => {},
        },
      );
      // A subscription that missed the answer (it was not in place yet): a slow poll finds the
      // outcome. Its waits end as soon as the conversation settled (before, the conversation
      // waited out the poll's first 10 s whatever happened, which bound the run to 4 per 10 s).
      let polling = true;
      const wait = (ms: number) => Promise.race([delay(ms), settled]);
      const poll = (async () => {
        const deadline = Date.now() + TIMEOUT_MS;
        await wait(10_000);
        while (polling && Date.now() < deadline) {
          const c = (await gql(BOT_STATE, { id }, t.agent).catch(() => null))?.conversation;
          const bot = c?.messages.nodes.find((m: any) => m.authorKind === 'BOT');
          const handoff = c?.messages.nodes.find((m: any) => m.authorKind === 'SYSTEM' && m.text.startsWith('Handed off'));
          if (bot) return settle({ kind: 'answer', ms: null, turn: bot.aiTurn });
          if (handoff) return settle({ kind: 'handoff', ms: null, handoffReason: reason(handoff.text) });
          await wait(2_000);
        }
        if (polling) settle({ kind: 'timeout', ms: null });
      })();
      sent = performance.now();
      await gql(SEND, { id, text: question.text }, t.customer);
      const outcome = await settled;
      polling = false;
      stop();
      await poll.catch(() => {});
      if (process.env.BENCH_AI_TRACE) log(`${t.slug} ${outcome.kind} ${outcome.ms?.toFixed(0)}ms ${outcome.handoffReason ?? outcome.turn?.citations[0]?.title ?? ''} <- ${question.text}`);
      return { tenant: t.slug, question, ...outcome };
    };

    const replay = async (t: Tenant, list: Question[]): Promise<Outcome[]> => {
      const out: Outcome[] = new Array(list.length);
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(CONCURRENCY, list.length) }, async () => {
          while (next < list.length) {
            const i = next++;
            // A failed call (a gateway timeout on this loaded machine) is this conversation's outcome, not the run's end.
            out[i] = await converse(t, list[i]!).catch((error: unknown) => {
              log(`conversation failed: ${(error as Error).message}`);
              return { tenant: t.slug, question: list[i]!, kind: 'error' as const, ms: null };
            });
          }
        }),
      );
      return out;
    };

    const policy = (t: Tenant, on: boolean) =>
      gql(`mutation($i: RoutingPolicyInput!) { setRoutingPolicy(input: $i) { strategy } }`, { i: on ? { strategy: 'CHEAPEST', chain: [CHEAP, PREMIUM], cacheTtlSeconds: 3600 } : { strategy: 'ORDERED', chain: [PREMIUM], cacheTtlSeconds: 0 } }, t.admin);

    // Warm-up (not counted): a few unique questions per tenant, cache off.
    for (const t of tenants) {
      await policy(t, false);
      await replay(t, Array.from({ length: 6 }, (_, i) => ({ text: `Warm-up ${i}: ${DISTINCT[i]!.text}`, expected: DISTINCT[i]!.expected })));
    }
    log('warm-up done');

    const perTenant = questions(Math.ceil(CONVERSATIONS / tenants.length));
    for (const run of [
      { name: 'cache + routing on', on: true },
      { name: 'off (premium model, no cache)', on: false },
    ] satisfies RunSpec[]) {
      for (const t of tenants) await policy(t, run.on);
      const calls = fake.requests.filter((r) => r.path.endsWith('/chat/completions')).length;
      const started = performance.now();
      const outcomes: Outcome[] = [];
      // acme first, then globex with the same questions: globex's cache must not know acme's answers.
      for (const t of tenants) outcomes.push(...(await replay(t, perTenant)));
      const seconds = (performance.now() - started) / 1000;
      results.push({ run, seconds, outcomes, modelCalls: fake.requests.filter((r) => r.path.endsWith('/chat/completions')).length - calls });
      log(`${run.name}: ${outcomes.length} conversations in ${seconds.toFixed(1)}s`);
    }
  } finally {
    for (const ws of sockets) await ws.dispose();
    await gateway?.close();
    await booted.close();
    await bus.close();
    if (busRedis) {
      await busRedis.del(stream).catch(() => {});
      busRedis.disconnect();
    }
    await fake.close();
    await dropSchemas(databaseUrl, prefix);
    await pg?.stop();
  }
  report(results);
}

/** acme's demo help center, published, for each tenant's owner; embeddings follow from the article events. */
async function seedHelpCenter(orm: MikroORM, owners: DemoUser[]): Promise<void> {
  const start = Date.now() - 30 * 86_400_000;
  await orm.em.fork().transactional(async (tx) => {
    for (const o of owners) {
      let i = 0;
      for (const a of [...ACME_ARTICLES, ...ACME_ARTICLES_DE]) {
        await insertArticle(tx as never, o.tenantId, a, o.id, a.draft ? ArticleStatus.DRAFT : ArticleStatus.PUBLISHED, new Date(start + i++ * 3_600_000));
      }
    }
  });
}

/** Waits until every article has its chunks at its version (the embeddings consumer is done). */
async function embedded(orm: MikroORM): Promise<void> {
  const s = orm.config.get('schema');
  const deadline = Date.now() + 300_000;
  for (;;) {
    const [row] = await orm.em.getConnection().execute<{ n: string }[]>(
      `select count(*) as n from "${s}"."article" a where not exists (select 1 from "${s}"."article_chunk" c where c."article_id" = a."id" and c."version" = a."version")`,
    );
    if (Number(row?.n) === 0) return;
    if (Date.now() > deadline) throw new Error(`${row?.n} articles still without embeddings`);
    await delay(250);
  }
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
const reason = (text: string) => text.replace(/^Handed off to a human: /, '').replace(/\(.*\)/, '').replace(/“.*”/, '“…”').trim();

function report(results: RunResult[]) {
  const fmt = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '—');
  const rows = results.map((r) => {
    const answers = r.outcomes.filter((o) => o.kind === 'answer');
    const live = answers.map((o) => o.ms).filter((ms): ms is number => ms !== null).sort((a, b) => a - b);
    const cited = answers.filter((o) => o.turn?.citations.length);
    const right = cited.filter((o) => o.turn!.citations[0]!.title === o.question.expected).length;
    const among = cited.filter((o) => o.turn!.citations.some((c) => c.title === o.question.expected)).length;
    // globex's cache hits on a question for which globex itself had no answer from the model: filled by acme.
    const mine = (tenant: string) => answers.filter((o) => o.tenant === tenant);
    const missed = new Set(mine('globex').filter((o) => !o.turn?.cacheHit).map((o) => o.question.text));
    const crossTenant = mine('globex').filter((o) => o.turn?.cacheHit && !missed.has(o.question.text)).length;
    return {
      r,
      answers,
      handoffs: r.outcomes.filter((o) => o.kind === 'handoff'),
      timeouts: r.outcomes.filter((o) => o.kind === 'timeout').length,
      errors: r.outcomes.filter((o) => o.kind === 'error').length,
      polled: answers.length - live.length,
      live,
      hits: answers.filter((o) => o.turn?.cacheHit).length,
      cost: answers.reduce((n, o) => n + (o.turn?.costUsd ?? 0), 0),
      right,
      among,
      cited: cited.length,
      crossTenant,
    };
  });
  const [on, off] = rows;
  const total = results[0]?.outcomes.length ?? 0;
  const distinct = new Set(results[0]?.outcomes.map((o) => o.question.text)).size;
  console.log(
    `\n${total} conversations per run (${total / 2} per tenant, acme then globex, ${distinct} distinct questions), ${CONCURRENCY} at a time, local server ${SERVER_MS} ms per call, ` +
      `${process.env.REDIS_URL ? 'Redis' : 'in-process'} bus and cache, ${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded PostgreSQL'}\n`,
  );
  console.log('| run | answers | handoffs | answers/s | p50 ms | p95 ms | cache hits | model calls | cost USD | vs off | cited article right | expected among citations | cross-tenant cache hits |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const x of rows) {
    console.log(
      `| ${x.r.run.name} | ${x.answers.length} | ${x.handoffs.length} | ${fmt(x.answers.length / x.r.seconds)} | ${fmt(percentile(x.live, 50), 0)} | ${fmt(percentile(x.live, 95), 0)} | ${x.hits} (${fmt((x.hits / Math.max(1, x.answers.length)) * 100, 1)}%) | ${x.r.modelCalls} | ${fmt(x.cost, 4)} | ${x === off ? '—' : `−${fmt((1 - x.cost / off!.cost) * 100, 1)}%`} | ${fmt((x.right / Math.max(1, x.cited)) * 100, 1)}% | ${fmt((x.among / Math.max(1, x.cited)) * 100, 1)}% | ${x.crossTenant} |`,
    );
  }
  const reasons = new Map<string, number>();
  for (const h of on?.handoffs ?? []) reasons.set(h.handoffReason ?? '?', (reasons.get(h.handoffReason ?? '?') ?? 0) + 1);
  console.log(`\nHandoffs (cache + routing on): ${[...reasons].map(([r, n]) => `${n} × ${r}`).join(', ') || 'none'}.`);
  for (const x of rows) {
    if (x.timeouts || x.polled || x.errors) console.log(`${x.r.run.name}: ${x.timeouts} conversations got no answer in ${TIMEOUT_MS / 1000}s, ${x.errors} failed (a call refused), ${x.polled} answers seen only by the poll (not in the latencies).`);
  }
  if (on && off) {
    const reduction = (1 - on.cost / off.cost) * 100;
    console.log(`\nGoal: ≥ 60% lower cost with cache + routing: ${fmt(reduction, 1)}% (${reduction >= 60 ? 'met' : 'not met'}); cross-tenant cache hits = 0: ${on.crossTenant} (${on.crossTenant === 0 ? 'met' : 'not met'})`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log((error as Error).stack ?? String(error));
    process.exit(1);
  },
);
