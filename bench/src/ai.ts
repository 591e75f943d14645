/**
 * npm run bench:ai — the LLM gateway's cost and overhead (issue 11, "Benchmark").
 *
 * Replays 500 customer questions with realistic repetition (a Zipf-like draw over 120
 * distinct questions, some asked with an email or order number in them) through `complete`
 * on the models subgraph (over HTTP, with a signed identity, one at a time) against a local
 * OpenAI-compatible server that answers every call after BENCH_AI_SERVER_MS (10) ms and
 * reports usage from the text (≈ 4 characters a token). Four runs, each for a fresh tenant:
 *
 * - baseline: cache off, routing off (every call to the one premium model);
 * - cache only; routing only (CHEAPEST over a cheap and the premium model);
 * - cache + routing.
 *
 * Prints calls that reached the server, tokens, cost, cache hit rate, and the gateway's
 * overhead: the client-measured latency of `complete` minus the server's own time, p50/p95,
 * for calls that reached the server (cache hits are reported as their whole latency). The
 * server's own latency is the p50 of 200 identical requests sent to it directly first; the
 * floor of any request, `{ __typename }` on the same subgraph, is printed beside it.
 * DATABASE_URL (else the embedded PostgreSQL) and REDIS_URL (else in-process) as elsewhere.
 */
import { createLogger, IDENTITY_HEADER, parseConfig, signIdentity, startEmbeddedPostgres, type EmbeddedPostgres } from '@switchboard/kit';
import { bootstrap, modelsEnv, type ModelsApp } from '@switchboard/models';
import { startFakeOpenAI, type FakeBehaviour } from '@switchboard/models/src/fake-openai';
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { percentile, zipfDraw } from './measure';
import { dropSchemas } from './subgraphs';

const QUESTIONS = Number(process.env.BENCH_AI_QUESTIONS ?? 500);
const SERVER_MS = Number(process.env.BENCH_AI_SERVER_MS ?? 10);
const SECRET = 'bench-ai-internal-secret-0123456789';
const log = (msg: string) => process.stderr.write(`${msg}\n`);

const TOPICS = ['refund', 'password reset', 'shipping to Norway', 'invoice copy', 'plan upgrade', 'cancel subscription', 'change email', 'two-factor login',
  'delivery delay', 'damaged item', 'API rate limits', 'data export', 'GDPR deletion', 'add a seat', 'SSO setup', 'webhook retries', 'VAT number', 'student discount',
  'order tracking', 'return label', 'warranty', 'gift card', 'opening hours', 'phone support', 'mobile app crash', 'dark mode', 'language settings', 'billing date',
  'payment failed', 'currency'];
const FORMS = ['How do I handle {t}?', 'What is your policy on {t}?', 'I need help with {t}, please.', 'Can you explain {t}?'];
const DISTINCT = TOPICS.flatMap((t) => FORMS.map((f) => f.replace('{t}', t))); // 120

/** Deterministic: the same 500 questions on every run. */
function questions(n: number): string[] {
  // Every 10th question carries personal data (unique: never a cache hit).
  return zipfDraw(DISTINCT, n, 42).map((q, i) => (i % 10 === 9 ? `${q} My email is customer${i}@example.com, order ${100000 + i}.` : q));
}

const SYSTEM = 'You are the support assistant of Acme. Answer briefly and politely from the help center. '.repeat(4);

interface Run {
  name: string;
  cache: boolean;
  routing: boolean;
}

async function main() {
  let pg: EmbeddedPostgres | undefined;
  const databaseUrl = process.env.DATABASE_URL ?? (pg = await startEmbeddedPostgres({ maxConnections: 20 })).url;
  const prefix = `bench${randomBytes(3).toString('hex')}_`;
  const fake = await startFakeOpenAI();
  const tokens = (s: string) => Math.ceil(s.length / 4);
  const behaviour: FakeBehaviour = {
    delayMs: SERVER_MS,
    text: (body) => `Thanks for asking about "${body.messages.at(-1)?.content.slice(0, 60)}". Here is what our help center says about it, in a few sentences that a customer can follow.`,
    usage: (body, text) => ({ prompt_tokens: body.messages.reduce((n, m) => n + tokens(m.content) + 4, 3), completion_tokens: tokens(text) }),
  };
  for (const name of ['cheap', 'premium']) fake.behave(name, behaviour);
  let directP50 = SERVER_MS;
  const config = parseConfig(modelsEnv, {
    MODELS_PORT: '0', HOST: '127.0.0.1', DB_SCHEMA_PREFIX: prefix, INTERNAL_SECRET: SECRET, LOG_LEVEL: 'warn', REDIS_URL: process.env.REDIS_URL,
    PROVIDER_KEY_ENCRYPTION_KEY: 'bench-ai-provider-key-0123456789', PROVIDER_ALLOW_PRIVATE_URLS: 'true', IDENTITY_REPLAY_CHECK: 'true',
  });
  const app: ModelsApp = await bootstrap({ ...config, DATABASE_URL: databaseUrl }, { logger: createLogger({}, 'warn') });
  const results: { run: Run; calls: number; input: number; output: number; cost: number; hits: number; overhead: number[]; hitLatency: number[] }[] = [];
  let floorP50 = 0;
  try {
    const list = questions(QUESTIONS);
    // The server's own latency as a client sees it: the same request straight to it.
    const direct: number[] = [];
    for (let i = 0; i < 200; i++) {
      const started = performance.now();
      const res = await fetch(`${fake.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
        body: JSON.stringify({ model: 'premium', messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: list[i % list.length] }], max_tokens: 200 }),
      });
      await res.json();
      direct.push(performance.now() - started);
    }
    directP50 = percentile(direct.sort((a, b) => a - b), 50);
    fake.reset();
    for (const name of ['cheap', 'premium']) fake.behave(name, behaviour);
    for (const run of [
      { name: 'baseline (cache off, routing off)', cache: false, routing: false },
      { name: 'cache only', cache: true, routing: false },
      { name: 'routing only', cache: false, routing: true },
      { name: 'cache + routing', cache: true, routing: true },
    ] satisfies Run[]) {
      const tenantId = randomUUID();
      const gql = async (query: string, variables: Record<string, unknown>) => {
        const res = await fetch(app.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: signIdentity({ kind: 'user', tenantId, userId: randomUUID(), roles: ['OWNER'], scopes: [], audience: 'models' }, SECRET) },
          body: JSON.stringify({ query, variables }),
        });
        const json = (await res.json()) as { data?: any; errors?: unknown[] };
        if (json.errors) throw new Error(JSON.stringify(json.errors));
        return json.data;
      };
      const provider = (await gql(`mutation($i: ProviderInput!) { createProvider(input: $i) { id } }`, { i: { name: 'fake', kind: 'OPENAI_COMPATIBLE', baseUrl: fake.url, apiKey: 'sk-bench' } })).createProvider.id;
      const model = async (name: string, inp: number, out: number, quality: number) =>
        (await gql(`mutation($i: ModelInput!) { createModel(input: $i) { id } }`, { i: { providerId: provider, name, purpose: 'CHAT', inputPricePer1K: inp, outputPricePer1K: out, quality } })).createModel.id;
      // gpt-4o-like and gpt-4o-mini-like prices.
      const premium = await model('premium', 0.0025, 0.01, 9);
      const cheap = await model('cheap', 0.00015, 0.0006, 6);
      await gql(`mutation($i: RoutingPolicyInput!) { setRoutingPolicy(input: $i) { strategy } }`, {
        i: run.routing ? { strategy: 'CHEAPEST', chain: [cheap, premium], cacheTtlSeconds: run.cache ? 3600 : 0 } : { strategy: 'ORDERED', chain: [premium], cacheTtlSeconds: run.cache ? 3600 : 0 },
      });
      if (!floorP50) {
        // The floor every call pays: the smallest GraphQL request to this subgraph (HTTP, the
        // signed identity, Apollo Server's pipeline), no resolver work.
        const floor: number[] = [];
        for (let i = 0; i < 200; i++) {
          const started = performance.now();
          await gql('{ __typename }', {});
          floor.push(performance.now() - started);
        }
        floorP50 = percentile(floor.sort((a, b) => a - b), 50);
      }
      const before = fake.requests.length;
      const r = { run, calls: 0, input: 0, output: 0, cost: 0, hits: 0, overhead: [] as number[], hitLatency: [] as number[] };
      for (const q of list) {
        const started = performance.now();
        const data = await gql(`mutation($i: CompleteInput!) { complete(input: $i) { cacheHit usage { inputTokens outputTokens costUsd } } }`, {
          i: { messages: [{ role: 'SYSTEM', content: SYSTEM }, { role: 'USER', content: q }], maxTokens: 200 },
        });
        const ms = performance.now() - started;
        const c = data.complete;
        r.input += c.usage.inputTokens;
        r.output += c.usage.outputTokens;
        r.cost += c.usage.costUsd;
        if (c.cacheHit) {
          r.hits += 1;
          r.hitLatency.push(ms);
        } else r.overhead.push(ms - directP50);
      }
      r.calls = fake.requests.length - before;
      results.push(r);
      log(`${run.name}: done`);
    }
  } finally {
    await app.close();
    await fake.close();
    await dropSchemas(databaseUrl, prefix);
    await pg?.stop();
  }

  const base = results[0]!;
  const fmt = (n: number, d = 2) => n.toFixed(d);
  console.log(`\n${QUESTIONS} questions (${new Set(questions(QUESTIONS)).size} distinct), server ${SERVER_MS} ms per call (p50 ${fmt(directP50)} ms called directly; overhead = complete − that; \`{ __typename }\` p50 ${fmt(floorP50)} ms, the floor of any request), ${process.env.REDIS_URL ? 'Redis' : 'in-process'} cache, ${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded PostgreSQL'}\n`);
  console.log('| run | server calls | input tokens | output tokens | cost USD | vs baseline | cache hit rate | overhead p50 ms | overhead p95 ms | cache hit p50 ms |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    const o = [...r.overhead].sort((a, b) => a - b);
    const h = [...r.hitLatency].sort((a, b) => a - b);
    console.log(
      `| ${r.run.name} | ${r.calls} | ${r.input} | ${r.output} | ${fmt(r.cost, 4)} | ${r === base ? '—' : `−${fmt((1 - r.cost / base.cost) * 100, 1)}%`} | ${fmt((r.hits / QUESTIONS) * 100, 1)}% | ${fmt(percentile(o, 50))} | ${fmt(percentile(o, 95))} | ${h.length ? fmt(percentile(h, 50)) : '—'} |`,
    );
  }
  const both = results[3]!;
  const p50 = percentile([...both.overhead].sort((a, b) => a - b), 50);
  console.log(`\nGoal: ≥ 60% lower cost with cache + routing: ${fmt((1 - both.cost / base.cost) * 100, 1)}% (${both.cost <= base.cost * 0.4 ? 'met' : 'not met'}); overhead p50 ≤ 5 ms: ${fmt(p50)} ms (${p50 <= 5 ? 'met' : 'not met'})`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log((error as Error).stack ?? String(error));
    process.exit(1);
  },
);
