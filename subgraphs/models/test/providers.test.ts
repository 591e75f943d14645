import { createLogger, IDENTITY_HEADER, signIdentity, type Role } from '@switchboard/kit';
import { testDatabase } from '@switchboard/kit/src/testing';
import { randomUUID } from 'node:crypto';
import { bootstrap, readModelsConfig, rotateProviderKeys, type ModelsApp } from '../src/app';
import { decryptSecret, keyRing } from '../src/llm/crypto';

/** The models subgraph on its own: base URL rules with private URLs not allowed, key rotation, config. */
const db = testDatabase();
const silent = createLogger({}, 'silent');
const SECRET = 'models-test-internal-secret';
const OLD_KEY = 'models-test-old-encryption-key';
const NEW_KEY = 'b'.repeat(64);
const config = (extra: Record<string, string>) => ({
  ...readModelsConfig({ MODELS_PORT: '0', HOST: '127.0.0.1', DB_SCHEMA_PREFIX: db.schemaPrefix, INTERNAL_SECRET: SECRET, PROVIDER_KEY_ENCRYPTION_KEY: OLD_KEY, ...extra }),
  DATABASE_URL: db.url,
});
const acme = randomUUID();
let app: ModelsApp;

beforeAll(async () => {
  app = await bootstrap(config({ PROVIDER_ALLOW_PRIVATE_URLS: 'false' }), { logger: silent });
});
afterAll(async () => {
  await app?.close();
  await db.drop();
});

async function gql(query: string, variables: Record<string, unknown> = {}, role: Role = 'OWNER') {
  const headers = { 'content-type': 'application/json', [IDENTITY_HEADER]: signIdentity({ kind: 'user', tenantId: acme, userId: randomUUID(), roles: [role], scopes: [], audience: 'models' }, SECRET) };
  const res = await fetch(app.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string; field?: string } }[] };
}

const CREATE = `mutation($input: ProviderInput!) { createProvider(input: $input) { id name baseUrl hasApiKey } }`;

describe('providers on the models subgraph', () => {
  it('refuses a private, loopback, link-local or metadata base URL when private URLs are not allowed, and writes nothing', async () => {
    for (const baseUrl of ['http://127.0.0.1:11434/v1', 'http://localhost:8000/v1', 'http://169.254.169.254/latest', 'http://10.0.0.7/v1', 'http://[::1]:8000/v1']) {
      const res = await gql(CREATE, { input: { name: `p${Math.random()}`, kind: 'OPENAI_COMPATIBLE', baseUrl, apiKey: 'sk-x' } });
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'baseUrl' });
    }
    expect((await gql(`{ providers { platform } }`)).data.providers.filter((p: any) => !p.platform)).toHaveLength(0);
    const ok = await gql(CREATE, { input: { name: 'public', kind: 'OPENAI_COMPATIBLE', baseUrl: 'https://8.8.8.8/v1/', apiKey: 'sk-public-1' } });
    expect(ok.data.createProvider).toMatchObject({ name: 'public', baseUrl: 'https://8.8.8.8/v1', hasApiKey: true });
  });

  it('re-encrypts every provider key under a new key (rotation), idempotently', async () => {
    const rotated = keyRing(NEW_KEY, OLD_KEY);
    expect(await rotateProviderKeys(app.orm, rotated)).toEqual({ rotated: 1, unchanged: 0 });
    expect(await rotateProviderKeys(app.orm, rotated)).toEqual({ rotated: 0, unchanged: 1 });
    const [row] = await app.orm.em.getConnection().execute(`select api_key_sealed from "${db.schemaPrefix}models"."provider"`);
    expect(decryptSecret(row.api_key_sealed, keyRing(NEW_KEY))).toBe('sk-public-1');
    expect(() => decryptSecret(row.api_key_sealed, keyRing(OLD_KEY))).toThrow();
  });

  it('keeps management to owners and admins', async () => {
    const res = await gql(CREATE, { input: { name: 'x', kind: 'LOCAL' } }, 'SUPERVISOR');
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('models configuration', () => {
  const base = { INTERNAL_SECRET: SECRET };
  it('allows private provider URLs by default only in demo mode', () => {
    expect(readModelsConfig({ ...base, PROVIDER_KEY_ENCRYPTION_KEY: OLD_KEY }).PROVIDER_ALLOW_PRIVATE_URLS).toBe(false);
    expect(readModelsConfig({ DEMO: 'true' }).PROVIDER_ALLOW_PRIVATE_URLS).toBe(true);
    expect(readModelsConfig({ DEMO: 'true', PROVIDER_ALLOW_PRIVATE_URLS: 'false' }).PROVIDER_ALLOW_PRIVATE_URLS).toBe(false);
  });

  it('needs a real encryption key outside demo mode', () => {
    expect(() => readModelsConfig(base)).toThrow(/PROVIDER_KEY_ENCRYPTION_KEY is required/);
    expect(() => readModelsConfig({ ...base, PROVIDER_KEY_ENCRYPTION_KEY: 'switchboard-dev-provider-key-change-me' })).toThrow(/published development value/);
  });
});
