import { IDENTITY_HEADER, modelsClient, signIdentity } from '@switchboard/kit';
import { TEST_SECRETS } from '@switchboard/kit/src/testing';
import { startFakeOpenAI, type FakeOpenAI } from '../../subgraphs/models/src/fake-openai';
import { codes, startStack, type Stack } from './stack';

/**
 * The models subgraph (the LLM gateway) through the gateway, against a local
 * OpenAI-compatible server this file starts: routing, fallback, breakers, cache, budget,
 * PII masking, usage, key secrecy, URGENT priority, the LOCAL default and the internal API.
 */
const API_KEY = 'sk-test-SECRET-acme-4b1d9e';
const GLOBEX_KEY = 'sk-test-SECRET-globex-77c2';
let stack: Stack;
let fake: FakeOpenAI;
let offset = 0;
let acmeAdmin: Record<string, string>;
let acmeAgent: Record<string, string>;
let globexAdmin: Record<string, string>;
const ids: Record<string, string> = {};

const COMPLETE = `mutation($input: CompleteInput!) { complete(input: $input) {
  text model cacheHit piiMasked usage { inputTokens outputTokens costUsd } attempts { model outcome httpStatus latencyMs } } }`;
const ask = (content: string, extra: Record<string, unknown> = {}) => ({ input: { messages: [{ role: 'USER', content }], ...extra } });

async function ok(query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
  const res = await stack.gql(query, variables, headers);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data;
}

async function provider(headers: Record<string, string>, name: string, apiKey: string | null, timeoutMs = 5000): Promise<string> {
  const data = await ok(
    `mutation($input: ProviderInput!) { createProvider(input: $input) { id hasApiKey } }`,
    { input: { name, kind: 'OPENAI_COMPATIBLE', baseUrl: fake.url, apiKey, timeoutMs } },
    headers,
  );
  return data.createProvider.id;
}

async function model(headers: Record<string, string>, providerId: string, name: string, inputPricePer1K: number, outputPricePer1K: number, quality = 5): Promise<string> {
  const data = await ok(
    `mutation($input: ModelInput!) { createModel(input: $input) { id } }`,
    { input: { providerId, name, purpose: 'CHAT', contextWindow: 8192, inputPricePer1K, outputPricePer1K, quality } },
    headers,
  );
  ids[name] = data.createModel.id;
  return data.createModel.id;
}

async function policy(headers: Record<string, string>, input: Record<string, unknown>) {
  return ok(`mutation($input: RoutingPolicyInput!) { setRoutingPolicy(input: $input) { strategy chain monthlyBudgetUsd spentThisMonthUsd } }`, { input }, headers);
}

const ORDERED = (...names: string[]) => ({ strategy: 'ORDERED', chain: names.map((n) => ids[n]) });

beforeAll(async () => {
  fake = await startFakeOpenAI();
  stack = await startStack({ subgraphs: ['models'], clock: () => new Date(Date.now() + offset), gatewayEnv: { RATE_LIMIT_ENABLED: 'false' } });
  acmeAdmin = await stack.as('admin@acme.test');
  acmeAgent = await stack.as('agent@acme.test');
  globexAdmin = await stack.as('admin@globex.test');
}, 60_000);

afterAll(async () => {
  await stack?.close();
  await fake?.close();
});

describe('the models subgraph through the gateway', () => {
  it('routes a tenant with nothing configured to the offline LOCAL model, which answers from its context', async () => {
    const data = await ok(
      COMPLETE,
      {
        input: {
          messages: [
            { role: 'SYSTEM', content: 'Refunds are issued within 5 business days. Our office is in Berlin. Passwords can be reset from the login page.' },
            { role: 'USER', content: 'How do I reset my password?' },
          ],
        },
      },
      globexAdmin,
    );
    expect(data.complete).toMatchObject({ model: 'local-extractive', text: 'Passwords can be reset from the login page.', cacheHit: false });
    expect(data.complete.attempts).toEqual([expect.objectContaining({ model: 'local-extractive', outcome: 'OK' })]);
    expect(fake.requests).toHaveLength(0);
  });

  it('keeps management to owners and admins, and another tenant’s provider is NOT_FOUND', async () => {
    const denied = await stack.gql(`mutation { createProvider(input: { name: "x", kind: LOCAL }) { id } }`, {}, acmeAgent);
    expect(codes(denied)).toEqual(['FORBIDDEN']);
    const acmeProvider = await provider(acmeAdmin, 'fake', API_KEY);
    ids.acmeProvider = acmeProvider;
    const foreign = await stack.gql(`mutation($id: ID!) { updateProvider(id: $id, input: { timeoutMs: 1000 }) { id } }`, { id: acmeProvider }, globexAdmin);
    expect(codes(foreign)).toEqual(['NOT_FOUND']);
    const analyst = await stack.gql(COMPLETE, ask('hi'), await stack.as('analyst@acme.test'));
    expect(codes(analyst)).toEqual(['FORBIDDEN']);
  });

  it('chooses the cheapest model, and the usage is what the server reported', async () => {
    await model(acmeAdmin, ids.acmeProvider!, 'cheap-1', 0.0005, 0.0015, 3);
    await model(acmeAdmin, ids.acmeProvider!, 'premium-1', 0.01, 0.03, 9);
    await policy(acmeAdmin, { strategy: 'CHEAPEST' });
    fake.behave('cheap-1', { usage: { prompt_tokens: 123, completion_tokens: 45 } });
    const data = await ok(COMPLETE, ask('What are your opening hours?', { cache: false }), acmeAgent);
    expect(data.complete.model).toBe('cheap-1');
    expect(data.complete.attempts).toEqual([{ model: 'cheap-1', outcome: 'OK', httpStatus: 200, latencyMs: expect.any(Number) }]);
    expect(data.complete.usage).toEqual({ inputTokens: 123, outputTokens: 45, costUsd: expect.closeTo((123 * 0.0005 + 45 * 0.0015) / 1000, 12) });
    expect(fake.calls('cheap-1')).toHaveLength(1);
    expect(fake.calls('premium-1')).toHaveLength(0);

    const day = new Date().toISOString().slice(0, 10);
    const usage = await ok(`query($d: DateTimeISO!) { aiUsage(from: $d, to: $d, groupBy: [MODEL]) { model calls inputTokens outputTokens costUsd cacheHits } }`, { d: `${day}T00:00:00.000Z` }, acmeAdmin);
    expect(usage.aiUsage).toContainEqual({ model: 'cheap-1', calls: 1, inputTokens: 123, outputTokens: 45, costUsd: expect.closeTo(data.complete.usage.costUsd, 12), cacheHits: 0 });
  });

  it('simulateRouting says what it would choose and what it would cost, and calls nothing', async () => {
    const before = fake.requests.length;
    const data = await ok(
      `query($input: CompleteInput!) { simulateRouting(input: $input) { model { name } chain { name } inputTokens estimatedCostUsd } }`,
      ask('What are your opening hours?', { maxTokens: 100 }),
      acmeAgent,
    );
    expect(data.simulateRouting.model).toEqual({ name: 'cheap-1' });
    expect(data.simulateRouting.chain.map((m: { name: string }) => m.name)).toEqual(['cheap-1', 'premium-1']);
    expect(data.simulateRouting.inputTokens).toBeGreaterThan(3);
    expect(data.simulateRouting.estimatedCostUsd).toBeCloseTo((data.simulateRouting.inputTokens * 0.0005 + 100 * 0.0015) / 1000, 12);
    expect(fake.requests.length).toBe(before);
  });

  it('falls through a 500 to the next model, recording the attempt', async () => {
    await model(acmeAdmin, ids.acmeProvider!, 'e500', 0.0001, 0.0001);
    await policy(acmeAdmin, ORDERED('e500', 'premium-1'));
    fake.behave('e500', { status: 500 });
    const data = await ok(COMPLETE, ask('hello', { cache: false }), acmeAgent);
    expect(data.complete.model).toBe('premium-1');
    expect(data.complete.attempts.map((a: any) => [a.model, a.outcome, a.httpStatus])).toEqual([['e500', 'ERROR', 500], ['premium-1', 'OK', 200]]);
    expect(fake.calls('e500')).toHaveLength(1);
  });

  it('on 429 waits for a Retry-After that fits and retries, and moves on when it does not', async () => {
    await model(acmeAdmin, ids.acmeProvider!, 'rl-short', 0.0001, 0.0001);
    await model(acmeAdmin, ids.acmeProvider!, 'rl-long', 0.0001, 0.0001);
    await policy(acmeAdmin, ORDERED('rl-short', 'premium-1'));
    fake.behave('rl-short', { status: 429, retryAfter: '1' }, {});
    const short = await ok(COMPLETE, ask('hello', { cache: false }), acmeAgent);
    expect(short.complete.attempts.map((a: any) => [a.model, a.outcome, a.httpStatus])).toEqual([['rl-short', 'RATE_LIMITED', 429], ['rl-short', 'OK', 200]]);
    expect(fake.calls('rl-short')).toHaveLength(2);

    await policy(acmeAdmin, ORDERED('rl-long', 'premium-1'));
    fake.behave('rl-long', { status: 429, retryAfter: '3600' });
    const long = await ok(COMPLETE, ask('hello', { cache: false }), acmeAgent);
    expect(long.complete.attempts.map((a: any) => [a.model, a.outcome, a.httpStatus])).toEqual([['rl-long', 'RATE_LIMITED', 429], ['premium-1', 'OK', 200]]);
    expect(fake.calls('rl-long')).toHaveLength(1);
  });

  it('gives up on a hang past the provider timeout and moves on', async () => {
    const slow = await provider(acmeAdmin, 'slow', API_KEY, 300);
    await model(acmeAdmin, slow, 'hang-1', 0.0001, 0.0001);
    await policy(acmeAdmin, ORDERED('hang-1', 'premium-1'));
    fake.behave('hang-1', { hang: true });
    const data = await ok(COMPLETE, ask('hello', { cache: false }), acmeAgent);
    expect(data.complete.attempts.map((a: any) => [a.model, a.outcome, a.httpStatus])).toEqual([['hang-1', 'TIMEOUT', null], ['premium-1', 'OK', 200]]);
    expect(data.complete.attempts[0].latencyMs).toBeGreaterThanOrEqual(250);
  });

  it('opens the breaker after repeated failures, skips without calling, and closes after a successful probe', async () => {
    await model(acmeAdmin, ids.acmeProvider!, 'flaky', 0.0001, 0.0001);
    await policy(acmeAdmin, ORDERED('flaky', 'premium-1'));
    fake.behave('flaky', { status: 503 });
    for (let i = 0; i < 3; i++) {
      const data = await ok(COMPLETE, ask(`hello ${i}`, { cache: false }), acmeAgent);
      expect(data.complete.attempts[0]).toMatchObject({ model: 'flaky', outcome: 'ERROR', httpStatus: 503 });
    }
    const health = async () =>
      (await ok(`{ models { name health { state consecutiveFailures lastError } } }`, {}, acmeAdmin)).models.find((m: any) => m.name === 'flaky').health;
    expect(await health()).toEqual({ state: 'OPEN', consecutiveFailures: 3, lastError: 'HTTP 503' });

    const skipped = await ok(COMPLETE, ask('hello again', { cache: false }), acmeAgent);
    expect(skipped.complete.attempts.map((a: any) => [a.model, a.outcome])).toEqual([['flaky', 'CIRCUIT_OPEN'], ['premium-1', 'OK']]);
    expect(fake.calls('flaky')).toHaveLength(3);

    offset += 31_000; // past the cool-down: the next call probes
    expect((await health()).state).toBe('HALF_OPEN');
    fake.behave('flaky', {});
    const probe = await ok(COMPLETE, ask('hello probe', { cache: false }), acmeAgent);
    expect(probe.complete.attempts.map((a: any) => [a.model, a.outcome])).toEqual([['flaky', 'OK']]);
    expect(await health()).toEqual({ state: 'CLOSED', consecutiveFailures: 0, lastError: 'HTTP 503' });
  });

  it('answers an identical request from the cache at zero cost, and never another tenant’s', async () => {
    await policy(acmeAdmin, { strategy: 'CHEAPEST', chain: [ids['cheap-1']], cacheTtlSeconds: 600 });
    fake.behave('cheap-1', {});
    const first = await ok(COMPLETE, ask('Do you ship to Norway?'), acmeAgent);
    const second = await ok(COMPLETE, ask('Do you ship to Norway?'), acmeAgent);
    expect(first.complete.cacheHit).toBe(false);
    expect(second.complete).toEqual({ ...first.complete, cacheHit: true, usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 }, attempts: [] });
    expect(fake.calls('cheap-1').filter((r) => r.body.messages.at(-1).content === 'Do you ship to Norway?')).toHaveLength(1);

    // Globex has its own provider with a model of the same name: same request, its own call.
    const globexProvider = await provider(globexAdmin, 'fake', GLOBEX_KEY);
    const acmeCheap = ids['cheap-1']!;
    await model(globexAdmin, globexProvider, 'cheap-1', 0.0005, 0.0015);
    ids['cheap-1'] = acmeCheap;
    const other = await ok(COMPLETE, ask('Do you ship to Norway?'), globexAdmin);
    expect(other.complete.cacheHit).toBe(false);
    expect(fake.calls('cheap-1').filter((r) => r.body.messages.at(-1).content === 'Do you ship to Norway?')).toHaveLength(2);
    const day = new Date().toISOString().slice(0, 10);
    const usage = await ok(`query($d: DateTimeISO!) { aiUsage(from: $d, to: $d) { calls cacheHits } }`, { d: `${day}T00:00:00.000Z` }, acmeAdmin);
    expect(usage.aiUsage[0].cacheHits).toBe(1);
  });

  it('masks PII before the provider sees it and restores it in the answer', async () => {
    const before = fake.requests.length;
    const text = 'I am jane.doe@example.com, card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00, phone +1 415 555 2671. Order 12345.';
    const data = await ok(COMPLETE, ask(text, { cache: false }), acmeAgent);
    const sent = JSON.stringify(fake.requests.slice(before).map((r) => r.body));
    for (const secret of ['jane.doe@example.com', '4111 1111 1111 1111', 'DE89 3704', '415 555 2671']) expect(sent).not.toContain(secret);
    expect(sent).toContain('[EMAIL_1]');
    expect(sent).toContain('Order 12345');
    expect(data.complete.piiMasked).toBe(4);
    expect(data.complete.text).toBe(`You said: ${text}`);
  });

  it('sends the provider key to the server and never shows it in a response or a log line', async () => {
    const sentKeys = fake.requests.map((r) => r.headers.authorization);
    expect(sentKeys).toContain(`Bearer ${API_KEY}`);
    expect(sentKeys).toContain(`Bearer ${GLOBEX_KEY}`);
    const res = await stack.gql(`{ providers { id name kind baseUrl hasApiKey timeoutMs platform } routingPolicy { strategy } }`, {}, acmeAdmin);
    expect(res.data.providers).toContainEqual(expect.objectContaining({ name: 'fake', hasApiKey: true, platform: false }));
    expect(res.data.providers).toContainEqual(expect.objectContaining({ kind: 'LOCAL', platform: true }));
    expect(JSON.stringify(res)).not.toContain('SECRET');
    expect(JSON.stringify(stack.logs)).not.toContain('SECRET');
    const rows = await stack.subgraphs.models!.orm.em.getConnection().execute(`select api_key_sealed from "${stack.db.schemaPrefix}models"."provider"`);
    expect(rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows)).not.toContain('SECRET');
  });

  it('never falls back to a cheaper model than the first choice for URGENT work', async () => {
    await model(acmeAdmin, ids.acmeProvider!, 'u-first', 0.01, 0.03);
    await model(acmeAdmin, ids.acmeProvider!, 'u-cheaper', 0.0005, 0.0015);
    await model(acmeAdmin, ids.acmeProvider!, 'u-pricier', 0.02, 0.06);
    await policy(acmeAdmin, ORDERED('u-first', 'u-cheaper', 'u-pricier'));
    fake.behave('u-first', { status: 500 });
    const normal = await ok(COMPLETE, ask('urgent?', { cache: false }), acmeAgent);
    expect(normal.complete.model).toBe('u-cheaper');
    const urgent = await ok(COMPLETE, ask('urgent!', { cache: false, priority: 'URGENT' }), acmeAgent);
    expect(urgent.complete.attempts.map((a: any) => [a.model, a.outcome])).toEqual([['u-first', 'ERROR'], ['u-pricier', 'OK']]);
    expect(fake.calls('u-cheaper').filter((r) => r.body.messages.at(-1).content === 'urgent!')).toHaveLength(0);
  });

  it('never overspends a small budget under 50 concurrent calls: the refused ones are QUOTA_EXCEEDED and reached no server', async () => {
    const globexProvider = (await ok(`{ providers { id name platform } }`, {}, globexAdmin)).providers.find((p: any) => !p.platform).id;
    await model(globexAdmin, globexProvider, 'budget-1', 1, 1);
    await policy(globexAdmin, { ...ORDERED('budget-1'), monthlyBudgetUsd: 0.25 });
    fake.behave('budget-1', { usage: { prompt_tokens: 8, completion_tokens: 10 } });
    const before = (await ok(`{ routingPolicy { spentThisMonthUsd } }`, {}, globexAdmin)).routingPolicy.spentThisMonthUsd;
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => stack.gql(COMPLETE, ask(`hi ${i}`, { cache: false, maxTokens: 10 }), globexAdmin)));
    const answered = results.filter((r) => r.data?.complete);
    const refused = results.filter((r) => !r.data?.complete);
    expect(answered.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.flatMap(codes)).toEqual(refused.map(() => 'QUOTA_EXCEEDED'));
    expect(fake.calls('budget-1')).toHaveLength(answered.length);
    const spent = answered.reduce((sum, r) => sum + r.data.complete.usage.costUsd, 0);
    expect(before + spent).toBeLessThanOrEqual(0.25);
    const state = await ok(`{ routingPolicy { monthlyBudgetUsd spentThisMonthUsd } }`, {}, globexAdmin);
    expect(state.routingPolicy.spentThisMonthUsd).toBeLessThanOrEqual(0.25);
    expect(state.routingPolicy.spentThisMonthUsd - before).toBeCloseTo(spent, 6);
  });

  it('serves other subgraphs over the signed internal API, with the same routing, masking and usage', async () => {
    const models = stack.subgraphs.models!;
    const client = modelsClient({ url: models.url, secret: TEST_SECRETS.INTERNAL_SECRET, assistant: 'knowledge' });
    const acmeId = (await stack.gql(`{ me { tenant { id } } }`, {}, acmeAdmin)).data?.me?.tenant?.id as string;
    await policy(acmeAdmin, { strategy: 'CHEAPEST', chain: [ids['cheap-1']] });
    const answer = await client.complete(acmeId, { messages: [{ role: 'USER', content: 'Mail me at bob@example.org' }], cache: false });
    expect(answer).toMatchObject({ model: 'cheap-1', text: 'You said: Mail me at bob@example.org', piiMasked: 1 });
    expect(JSON.stringify(fake.requests.at(-1)!.body)).not.toContain('bob@example.org');
    const embedded = await client.embed(acmeId, ['reset my password', 'refund policy']);
    expect(embedded).toMatchObject({ model: 'local-embedding', dimensions: 512 });
    expect(embedded.vectors).toHaveLength(2);

    // Unsigned, or signed as a user rather than a service: refused.
    const url = new URL('/internal/complete', models.url);
    const unsigned = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenantId: acmeId, input: { messages: [] } }) });
    expect(unsigned.status).toBe(401);
    const asUser = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: signIdentity({ kind: 'user', tenantId: acmeId, roles: ['OWNER'], scopes: [], audience: 'models' }, TEST_SECRETS.INTERNAL_SECRET) },
      body: JSON.stringify({ tenantId: acmeId, input: { messages: [{ role: 'USER', content: 'x' }] } }),
    });
    expect(asUser.status).toBe(403);

    const day = new Date().toISOString().slice(0, 10);
    const usage = await ok(`query($d: DateTimeISO!) { aiUsage(from: $d, to: $d, groupBy: [ASSISTANT]) { assistant calls } }`, { d: `${day}T00:00:00.000Z` }, acmeAdmin);
    expect(usage.aiUsage).toContainEqual({ assistant: 'knowledge', calls: 2 });

    const metrics = await (await fetch(new URL('/metrics', models.url))).text();
    expect(metrics).toMatch(/llm_requests_total\{[^}]*model="cheap-1"[^}]*outcome="OK"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/llm_tokens_total\{[^}]*model="cheap-1"[^}]*direction="input"/);
    expect(metrics).toMatch(/llm_cost_usd_total\{[^}]*model="cheap-1"/);
    expect(metrics).toMatch(/llm_cache_hits_total\{[^}]*\} 1/);
  });
});
