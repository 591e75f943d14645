import { currentScope, type Identity, type Redis } from '@switchboard/kit';
import type { Request, RequestHandler } from 'express';
import { Kind, parse, specifiedRules, validate, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { edgeError, type Refuse } from './errors';
import { operationLimitsRule, type OperationLimits } from './limits';

// ------------------------------------------------------------------ the manifest

/** One safelisted operation, in Apollo's persisted-query manifest format. */
export interface ManifestOperation {
  /** sha256 of `body`, hex. */
  id: string;
  name: string;
  type: 'query' | 'mutation' | 'subscription';
  body: string;
}

export interface PersistedManifest {
  format: 'apollo-persisted-query-manifest';
  version: 1;
  operations: ManifestOperation[];
}

export const MANIFEST_FORMAT = 'apollo-persisted-query-manifest';

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The safelist the gateway holds partner keys to, by id. */
export class Safelist {
  private readonly byId: Map<string, ManifestOperation>;
  constructor(readonly operations: readonly ManifestOperation[]) {
    this.byId = new Map(operations.map((o) => [o.id, o]));
  }
  get(id: string | undefined): ManifestOperation | undefined {
    return id === undefined ? undefined : this.byId.get(id);
  }
  get size(): number {
    return this.byId.size;
  }
}

/** Reads and checks the manifest's shape and ids; throws naming every problem. */
export function loadManifest(file: string): Safelist {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`Cannot read the persisted-operation manifest ${file}: ${(error as Error).message}`);
  }
  const manifest = raw as Partial<PersistedManifest>;
  const problems: string[] = [];
  if (manifest.format !== MANIFEST_FORMAT || manifest.version !== 1 || !Array.isArray(manifest.operations)) {
    throw new Error(`${file} is not an ${MANIFEST_FORMAT} version 1 (run \`npm run codegen\`)`);
  }
  const seen = new Set<string>();
  for (const op of manifest.operations) {
    const label = `operation ${op?.name ?? '?'} (${op?.id ?? 'no id'})`;
    if (typeof op?.body !== 'string' || typeof op.id !== 'string' || typeof op.name !== 'string') problems.push(`${label}: id, name and body must be strings`);
    else if (sha256(op.body) !== op.id) problems.push(`${label}: id is not the sha256 of its body`);
    if (!['query', 'mutation', 'subscription'].includes(op?.type)) problems.push(`${label}: type must be query, mutation or subscription`);
    if (seen.has(op?.id)) problems.push(`${label}: duplicate id`);
    seen.add(op?.id);
  }
  if (problems.length) throw new Error(`Invalid manifest ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return new Safelist(manifest.operations);
}

/**
 * Every manifest operation, checked once at start against the schema the gateway serves and
 * the operation limits: it parses within the token limit, holds exactly the one operation its
 * entry names, validates, stays within every limit, and does not introspect. A manifest that
 * fails stops the gateway from starting, so partners never meet a refusal at request time.
 */
export function checkManifest(safelist: Safelist, schema: GraphQLSchema, limits: OperationLimits): void {
  const problems: string[] = [];
  for (const op of safelist.operations) {
    try {
      const document = parse(op.body, { maxTokens: limits.maxTokens });
      const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
      if (operations.length !== 1 || operations[0]!.name?.value !== op.name || operations[0]!.operation !== op.type) {
        problems.push(`${op.name}: the body must hold exactly one ${op.type} named ${op.name}`);
        continue;
      }
      if (/\b__(schema|type)\b/.test(op.body)) problems.push(`${op.name}: introspection is not for partners`);
      const errors = validate(schema, document, [...specifiedRules, operationLimitsRule(limits)]);
      for (const e of errors) problems.push(`${op.name}: ${e.message}`);
    } catch (error) {
      problems.push(`${op.name}: ${(error as Error).message}`);
    }
  }
  if (problems.length) throw new Error(`The persisted-operation manifest does not pass at start:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
}

// ------------------------------------------------------------------ the request's parameters

/** The GraphQL-over-HTTP parameters the edge reads, from the JSON body (POST) or the query string (GET). */
export interface OperationParams {
  query?: string;
  operationName?: string;
  extensions?: Record<string, unknown>;
  /** The persisted document's id: `sha256:<hex>` or `<hex>`. */
  documentId?: string;
}

export function readParams(req: Request): OperationParams {
  const source: Record<string, unknown> =
    req.method === 'POST' ? (req.body as Record<string, unknown>) : Object.fromEntries(new URL(req.url, 'http://x').searchParams);
  let extensions = source.extensions;
  if (typeof extensions === 'string') {
    try {
      extensions = JSON.parse(extensions);
    } catch {
      extensions = undefined; // Apollo answers the malformed parameter itself
    }
  }
  return {
    query: typeof source.query === 'string' ? source.query : undefined,
    operationName: typeof source.operationName === 'string' ? source.operationName : undefined,
    extensions: extensions && typeof extensions === 'object' ? (extensions as Record<string, unknown>) : undefined,
    documentId: typeof source.documentId === 'string' ? source.documentId : undefined,
  };
}

/** The persisted-query hash of the request: `extensions.persistedQuery.sha256Hash`. */
export function apqHash(params: OperationParams): string | undefined {
  const pq = params.extensions?.persistedQuery as { sha256Hash?: unknown } | undefined;
  return typeof pq?.sha256Hash === 'string' ? pq.sha256Hash : undefined;
}

function documentIdHash(params: OperationParams): string | undefined {
  return params.documentId?.replace(/^sha256:/, '');
}

/** Replaces the request's operation by a manifest body, as if the client had sent it. */
function substitute(req: Request, params: OperationParams, body: string): void {
  const extensions = { ...params.extensions };
  delete extensions.persistedQuery;
  if (req.method === 'POST') {
    const b = req.body as Record<string, unknown>;
    b.query = body;
    delete b.documentId;
    if (Object.keys(extensions).length) b.extensions = extensions;
    else delete b.extensions;
    return;
  }
  const url = new URL(req.url, 'http://x');
  url.searchParams.set('query', body);
  url.searchParams.delete('documentId');
  if (Object.keys(extensions).length) url.searchParams.set('extensions', JSON.stringify(extensions));
  else url.searchParams.delete('extensions');
  req.url = `${url.pathname}${url.search}`;
}

/** True when this request registers a new automatic persisted query (the hash is not in the manifest). */
export function isApqRegistration(req: Request, safelist: Safelist): boolean {
  const params = readParams(req);
  const hash = apqHash(params);
  return hash !== undefined && params.query !== undefined && !safelist.get(hash);
}

/**
 * The safelist, by caller:
 *  - a PARTNER key runs manifest operations only, named by `extensions.persistedQuery.sha256Hash`
 *    or `documentId`: no id → PERSISTED_QUERY_ID_REQUIRED, an id not in the manifest →
 *    PERSISTED_QUERY_NOT_IN_LIST (whatever the APQ store holds: APQ does not widen a safelist);
 *  - everyone else may send any operation; a manifest id works for them too, and any other
 *    hash goes on to Apollo's automatic persisted queries.
 * A manifest hit replaces the request's operation by the manifest's body before Apollo sees it.
 */
export function safelistMiddleware(safelist: Safelist, refuse: Refuse): RequestHandler {
  return (req, res, next) => {
    const identity = res.locals.identity as Identity;
    const params = readParams(req);
    const byDocumentId = documentIdHash(params);
    const hash = byDocumentId ?? apqHash(params);
    const hit = safelist.get(hash);
    const partner = identity.kind === 'apiKey' && identity.apiKeyKind === 'PARTNER';
    if (partner && hash === undefined) {
      refuse(res, 'code', edgeError('PERSISTED_QUERY_ID_REQUIRED', 'Partner keys run persisted operations only: send the manifest id in extensions.persistedQuery.sha256Hash'));
      return;
    }
    if ((partner || byDocumentId !== undefined) && !hit) {
      refuse(res, 'code', edgeError('PERSISTED_QUERY_NOT_IN_LIST', 'No operation with this id in the persisted-operation manifest'));
      return;
    }
    if (hit) {
      if (params.query !== undefined && sha256(params.query) !== hit.id) {
        refuse(res, 'code', edgeError('BAD_REQUEST', 'provided sha does not match query'));
        return;
      }
      substitute(req, params, hit.body);
    }
    next();
  };
}

// ------------------------------------------------------------------ who may register APQ

/**
 * Registering an automatic persisted query stores a document in Redis for APQ_TTL_SECONDS, so
 * only signed-in users and first-party keys may (the callers that may introspect, too):
 * anonymous callers get 401 UNAUTHENTICATED (they may still send the query itself, or a
 * manifest hash), partner keys never get here (the safelist refuses them first). A document
 * larger than APQ_MAX_DOCUMENT_BYTES is refused with 413 BAD_REQUEST: send it as a plain query.
 */
export function apqRegistrationGuard(safelist: Safelist, maxBytes: number, refuse: Refuse): RequestHandler {
  return (req, res, next) => {
    if (!isApqRegistration(req, safelist)) return next();
    const identity = res.locals.identity as Identity;
    const firstParty = identity.kind === 'user' || (identity.kind === 'apiKey' && identity.apiKeyKind === 'FIRST_PARTY');
    if (!firstParty) {
      const error = identity.kind === 'anonymous'
        ? edgeError('UNAUTHENTICATED', 'Sign in to register persisted queries: send the query without extensions.persistedQuery')
        : edgeError('FORBIDDEN', 'Persisted queries are registered by signed-in users and first-party keys');
      refuse(res, 'code', error); // UNAUTHENTICATED 401, FORBIDDEN 403
      return;
    }
    const bytes = Buffer.byteLength(readParams(req).query ?? '', 'utf8');
    if (bytes > maxBytes) {
      refuse(res, 413, edgeError('BAD_REQUEST', `A persisted query may be at most ${maxBytes} bytes; send this one as a plain query`, { maxBytes }));
      return;
    }
    next();
  };
}

// ------------------------------------------------------------------ the APQ store

/** Apollo's KeyValueCache, structurally (Apollo prefixes every key with `apq:`). */
export interface ApqCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, options?: { ttl?: number | null }): Promise<void>;
  delete(key: string): Promise<boolean | void>;
}

/**
 * Stores a document and records it in its tenant's index (a sorted set by time): entries older
 * than the TTL leave the index, and past `max` the tenant's oldest documents are deleted, so
 * one tenant holds at most `max` documents whatever it sends.
 */
const APQ_SET_LUA = `
local ttl, now, max = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('SET', KEYS[1], ARGV[1], 'EX', ttl)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - ttl * 1000)
redis.call('ZADD', KEYS[2], now, KEYS[1])
redis.call('EXPIRE', KEYS[2], ttl)
local over = redis.call('ZCARD', KEYS[2]) - max
if over > 0 then
  local old = redis.call('ZPOPMIN', KEYS[2], over)
  for i = 1, #old, 2 do redis.call('DEL', old[i]) end
end
return 1
`;

type ApqSetCommand = (document: string, index: string, value: string, ttl: number, now: number, max: number) => Promise<number>;

/**
 * Automatic persisted queries in Redis, shared by every gateway replica: documents, not data,
 * so one store serves every tenant (a hash registered by one is a hit for all). Each tenant
 * keeps at most `maxPerTenant` documents (its oldest go first), each at most
 * APQ_MAX_DOCUMENT_BYTES, and every key has a TTL, so the APQ keyspace is bounded and, under
 * Redis's `volatile-lru` policy, cold documents are evicted before the rate-limit buckets
 * (docs/architecture.md). Redis failing costs a miss (the client sends the query again),
 * never a failed request.
 */
export class RedisApqCache implements ApqCache {
  private readonly setCommand: ApqSetCommand;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly defaultTtlSeconds: number,
    private readonly onError: (error: unknown) => void,
    private readonly maxPerTenant = 1_000,
    private readonly now: () => number = Date.now,
  ) {
    if (!('switchboardApqSet' in redis)) redis.defineCommand('switchboardApqSet', { lua: APQ_SET_LUA, numberOfKeys: 2 });
    this.setCommand = (redis as unknown as { switchboardApqSet: ApqSetCommand }).switchboardApqSet.bind(redis);
  }

  async get(key: string): Promise<string | undefined> {
    try {
      return (await this.redis.get(this.prefix + key)) ?? undefined;
    } catch (error) {
      this.onError(error);
      return undefined;
    }
  }

  async set(key: string, value: string, options?: { ttl?: number | null }): Promise<void> {
    const ttl = Math.max(1, Math.ceil(options?.ttl ?? this.defaultTtlSeconds));
    const tenant = currentScope()?.identity?.tenantId ?? 'none';
    try {
      await this.setCommand(this.prefix + key, `${this.prefix}apq-index:${tenant}`, value, ttl, this.now(), this.maxPerTenant);
    } catch (error) {
      this.onError(error);
    }
  }

  async delete(key: string): Promise<boolean> {
    try {
      return (await this.redis.del(this.prefix + key)) > 0;
    } catch (error) {
      this.onError(error);
      return false;
    }
  }
}
