import { createLogger, IDENTITY_HEADER, modelsClient, signIdentity } from '@switchboard/kit';
import { testDatabase } from '@switchboard/kit/src/testing';
import { randomUUID } from 'node:crypto';
import { bootstrap, readModelsConfig, type ModelsApp } from '../src/app';
import { startFakeOpenAI, type FakeOpenAI } from '../src/fake-openai';
import { platformCatalog } from '../src/llm/catalog';

/** Operator (platform) providers from MODELS_PLATFORM_PROVIDERS, and embeddings through the internal API. */
const db = testDatabase();
const lines: string[] = [];
const logger = createLogger({}, 'debug', (line) => lines.push(line));
const SECRET = 'models-test-internal-secret';
const PLATFORM_KEY = 'sk-platform-SECRET-9f3a';
let fake: FakeOpenAI;
let app: ModelsApp;
const tenant = randomUUID();

beforeAll(async () => {
  fake = await startFakeOpenAI();
  const platform = [
    {
      name: 'Operator vLLM',
      kind: 'OPENAI_COMPATIBLE',
      baseUrl: fake.url,
      apiKey: PLATFORM_KEY,
      models: [
        { name: 'op-chat', purpose: 'CHAT', inputPricePer1K: 0.001, outputPricePer1K: 0.002, quality: 7 },
        { name: 'op-embed', purpose: 'EMBEDDING', inputPricePer1K: 0.0001 },
      ],
    },
  ];
  const config = readModelsConfig({
    MODELS_PORT: '0', HOST: '127.0.0.1', DB_SCHEMA_PREFIX: db.schemaPrefix, INTERNAL_SECRET: SECRET,
    PROVIDER_KEY_ENCRYPTION_KEY: 'models-test-provider-key-encryption', MODELS_PLATFORM_PROVIDERS: JSON.stringify(platform),
  });
  app = await bootstrap({ ...config, DATABASE_URL: db.url }, { logger });
});
afterAll(async () => {
  await app?.close();
  await fake?.close();
  await db.drop();
});

async function gql(query: string, variables: Record<string, unknown> = {}) {
  const headers = { 'content-type': 'application/json', [IDENTITY_HEADER]: signIdentity({ kind: 'user', tenantId: tenant, userId: randomUUID(), roles: ['OWNER'], scopes: [], audience: 'models' }, SECRET) };
  const res = await fetch(app.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as { data?: any; errors?: unknown[] };
}

describe('platform providers', () => {
  it('are listed for every tenant without their key, and a tenant without models routes to them', async () => {
    const listed = await gql(`{ providers { id name kind baseUrl hasApiKey platform } models { id name purpose platform provider { id } } }`);
    expect(listed.data.providers).toEqual([
      { id: 'provider-operator-vllm', name: 'Operator vLLM', kind: 'OPENAI_COMPATIBLE', baseUrl: fake.url, hasApiKey: true, platform: true },
      { id: 'provider-local', name: 'local', kind: 'LOCAL', baseUrl: null, hasApiKey: false, platform: true },
    ]);
    expect(listed.data.models.map((m: any) => m.id)).toEqual(['model-operator-vllm-op-chat', 'model-operator-vllm-op-embed', 'model-local-chat', 'model-local-embedding']);

    const done = await gql(`mutation { complete(input: { messages: [{ role: USER, content: "hello" }] }) { model text } }`);
    expect(done.data.complete).toEqual({ model: 'op-chat', text: 'You said: hello' });
    expect(fake.calls('op-chat')[0]!.headers.authorization).toBe(`Bearer ${PLATFORM_KEY}`);
    expect(JSON.stringify(listed)).not.toContain('SECRET');
  });

  it('embed over the internal API goes to the embedding model, masked, and keeps the vectors in order', async () => {
    const client = modelsClient({ url: app.url, secret: SECRET, assistant: 'knowledge' });
    const result = await client.embed(tenant, ['write to a@b.example', 'second text']);
    expect(result).toMatchObject({ model: 'op-embed', dimensions: 3, piiMasked: 1, usage: { inputTokens: 8 } });
    expect(result.vectors).toEqual([[18, 0, 1], [11, 1, 1]]); // the fake's vector: [length, index, 1] of what it received
    expect(fake.calls('op-embed')[0]!.body.input).toEqual(['write to [EMAIL_1]', 'second text']);
    await expect(client.embed(tenant, [])).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(lines.join('\n')).not.toContain('SECRET');
  });

  it('refuses a malformed MODELS_PLATFORM_PROVIDERS at start, naming it', () => {
    expect(() => platformCatalog('{nope')).toThrow(/MODELS_PLATFORM_PROVIDERS/);
  });
});
