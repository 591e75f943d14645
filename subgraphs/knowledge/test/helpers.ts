import { createLogger, IDENTITY_HEADER, signIdentity, type Role } from '@switchboard/kit';
import { testDatabase } from '@switchboard/kit/src/testing';
import { randomUUID } from 'node:crypto';
import { bootstrap, readKnowledgeConfig, type KnowledgeApp } from '../src/app';

export const silent = createLogger({}, 'silent');
export const SECRET = 'knowledge-test-internal-secret';

export type Caller = { tenantId: string; role?: Role; userId?: string } | { tenantId: string; scopes: string[] } | null;

/** The knowledge subgraph alone on a fresh schema, and requests as the gateway signs them. */
export async function startKnowledge() {
  const db = testDatabase();
  const config = (prefix: string) => ({ ...readKnowledgeConfig({ KNOWLEDGE_PORT: '0', HOST: '127.0.0.1', DB_SCHEMA_PREFIX: prefix, INTERNAL_SECRET: SECRET }), DATABASE_URL: db.url });
  const app: KnowledgeApp = await bootstrap(config(db.schemaPrefix), { logger: silent });
  async function gql(query: string, variables: Record<string, unknown> = {}, caller: Caller) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (caller) {
      const identity =
        'scopes' in caller
          ? { kind: 'apiKey' as const, tenantId: caller.tenantId, apiKeyId: randomUUID(), apiKeyKind: 'FIRST_PARTY' as const, roles: [], scopes: caller.scopes }
          : { kind: 'user' as const, tenantId: caller.tenantId, userId: caller.userId ?? randomUUID(), roles: [caller.role ?? 'AGENT'], scopes: [] };
      headers[IDENTITY_HEADER] = signIdentity({ ...identity, audience: 'knowledge' }, SECRET);
    }
    const res = await fetch(app.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    return { status: res.status, ...((await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] }) };
  }
  return { app, db, gql, config, close: async () => { await app.close(); await db.drop(); } };
}

/** Polls `check` until it returns a value other than undefined (events are asynchronous); fails after `attempts`. */
export async function eventually<T>(check: () => Promise<T | undefined>, attempts = 100, everyMs = 50): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error('condition not met');
}
