import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { FetcherResponse } from '@apollo/utils.fetcher';
import { AppError, BadInputError, IDENTITY_HEADER, IDENTITY_TTL_SECONDS, formatTraceparent, outgoingTraceContext, signIdentity, type Identity } from '@switchboard/kit';
import { getLocation, parse, Source, visit, type ArgumentNode, type ObjectFieldNode } from 'graphql';
import type { GatewayContext } from './context';
import { subgraphFetcher } from './subgraph-fetcher';

const MUTATION = /^\s*mutation\b/;
/** A request body whose operation is a query (what may be resent when a kept-alive socket was closed under it). */
const QUERY_BODY = /^\{"query":"\s*(query\b|\{)/;

interface Shared {
  answer: Promise<GatewayGraphQLResponse>;
  waiters: number;
  copies: GatewayGraphQLResponse[];
}

/** The caller part of the sharing key: the identity without its expiry, once per request. */
const callerKeys = new WeakMap<Identity, string>();
function callerKey(identity: Identity): string {
  let key = callerKeys.get(identity);
  if (key === undefined) {
    const { exp: _exp, ...who } = identity;
    key = JSON.stringify(who);
    callerKeys.set(identity, key);
  }
  return key;
}

/** A copy of a subgraph's JSON answer (JSON in, so a JSON round trip is exact, and cheaper than structuredClone). */
function copyOf(response: GatewayGraphQLResponse): GatewayGraphQLResponse {
  return { ...response, data: response.data && JSON.parse(JSON.stringify(response.data)), errors: response.errors && JSON.parse(JSON.stringify(response.errors)) };
}

/** A deduplicated `_entities` answer in the order of the representations the planner sent (`positions[i]`: which one it was). */
export function expandEntities(response: GatewayGraphQLResponse, positions: number[]): GatewayGraphQLResponse {
  const entities = (response.data as { _entities?: unknown } | null | undefined)?._entities;
  const used = new Set<number>();
  const data = Array.isArray(entities)
    ? {
        ...response.data,
        _entities: positions.map((at) => {
          const entity = entities[at];
          if (!used.has(at) || entity === null || typeof entity !== 'object') {
            used.add(at);
            return entity;
          }
          return JSON.parse(JSON.stringify(entity));
        }),
      }
    : response.data;
  const errors = response.errors?.flatMap((error) => {
    const path = error.path;
    if (!path || path[0] !== '_entities' || typeof path[1] !== 'number') return [error];
    return positions.flatMap((at, i) => (at === path[1] ? [{ ...error, path: ['_entities', i, ...path.slice(2)] }] : []));
  });
  return { ...response, data, ...(errors ? { errors } : {}) };
}

/**
 * Every fetch to a subgraph carries the caller's identity, signed, and the trace context.
 * A subgraph that does not answer (refused, timed out, 502-504) becomes one
 * UPSTREAM_UNAVAILABLE error: its fields are null, the rest of the answer stands.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    readonly name: string,
    url: string,
    private readonly internalSecret: string,
    timeoutMs: number,
    /** Told how long each fetch that went out took (shared in-flight fetches count once). */
    private readonly onFetch?: (subgraph: string, seconds: number) => void,
  ) {
    super({ url });
    // Keep-alive node:http instead of make-fetch-happen (subgraph-fetcher.ts); the deadline is its own.
    const fetcher = subgraphFetcher({ timeoutMs });
    this.fetcher = (input, init) => fetcher(input, { ...init!, idempotent: typeof init?.body === 'string' && QUERY_BODY.test(init.body) });
  }

  /**
   * Signed here, per fetch, for this subgraph only: the header names its audience (this
   * subgraph), the client's request id and a one-time id, and lives IDENTITY_TTL_SECONDS.
   * A header captured on its way to one subgraph is refused by every other, and by its own
   * subgraph the second time. Subscriptions fetch through this same class.
   */
  headersFor(context: GatewayContext | undefined, extra: Iterable<[string, string]> | undefined): Record<string, string> {
    if (!context?.identity) throw new Error('gateway context without identity');
    const headers: Record<string, string> = {};
    if (extra) for (const [name, value] of extra) headers[name.toLowerCase()] = value;
    const { exp: _exp, audience: _aud, jti: _jti, ...identity } = context.identity;
    headers['content-type'] = 'application/json';
    headers[IDENTITY_HEADER] = signIdentity({ ...identity, audience: this.name, requestId: context.requestId }, this.internalSecret, IDENTITY_TTL_SECONDS);
    headers.traceparent = formatTraceparent(outgoingTraceContext(context.trace));
    headers['x-request-id'] = context.requestId;
    return headers;
  }

  /** Identical subgraph fetches in flight, by (operation, variables, caller). */
  private readonly inflight = new Map<string, Shared>();

  /**
   * Identical queries in flight at once — same operation, same variables, same caller's
   * identity (so the same authorization) — share one fetch. Mutations never do. Each
   * sharer gets its own copy of the answer, since the executor writes into what it gets;
   * the copies are made when the answer arrives, before any sharer runs, and a fetch
   * nobody shared is not copied at all.
   */
  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { request, context } = options;
    const identity = context?.identity;
    if (!identity || !request.query || MUTATION.test(request.query)) return this.deduplicated(options);
    const key = `${request.query}\u0000${request.variables ? JSON.stringify(request.variables) : ''}\u0000${callerKey(identity)}`;
    let shared = this.inflight.get(key);
    if (shared) shared.waiters++;
    else {
      const entry: Shared = { waiters: 1, copies: [], answer: undefined as never };
      entry.answer = this.deduplicated(options).then(
        (response) => {
          this.inflight.delete(key);
          for (let i = 1; i < entry.waiters; i++) entry.copies.push(copyOf(response));
          return response;
        },
        (error: unknown) => {
          this.inflight.delete(key);
          throw error;
        },
      );
      this.inflight.set(key, entry);
      shared = entry;
    }
    const response = await shared.answer;
    return shared.copies.pop() ?? response;
  }

  /**
   * An `_entities` fetch sends each distinct representation once — 50 tickets with 5
   * assignees ask tenants for 5 users, not 50 — and the answer is expanded back to the
   * planner's order: every position gets its entity (a copy where one is repeated, since the
   * executor writes into what it gets) and each error on `_entities[i]` is repeated at every
   * position that asked for representation i.
   */
  private async deduplicated(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const representations = options.request.variables?.representations;
    if (!Array.isArray(representations) || representations.length < 2) return this.timed(options);
    const seen = new Map<string, number>();
    const unique: unknown[] = [];
    const positions = representations.map((representation: unknown) => {
      const key = JSON.stringify(representation);
      let at = seen.get(key);
      if (at === undefined) {
        at = unique.length;
        seen.set(key, at);
        unique.push(representation);
      }
      return at;
    });
    if (unique.length === representations.length) return this.timed(options);
    const response = await this.timed({ ...options, request: { ...options.request, variables: { ...options.request.variables, representations: unique } } });
    return expandEntities(response, positions);
  }

  /** One fetch, timed for `subgraph_fetch_duration_seconds{subgraph}` (errors included). */
  private async timed(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    if (!this.onFetch) return this.send(options);
    const started = process.hrtime.bigint();
    try {
      return await this.send(options);
    } finally {
      this.onFetch(this.name, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  /**
   * What `RemoteGraphQLDataSource.process` does for this gateway — it sends no APQ hashes
   * to subgraphs and has no `didReceiveResponse` — without the node-fetch `Headers` it
   * builds and validates per fetch, the `Request` it builds only to hand to
   * `didEncounterError`, and the header map rebuilt from them (docs/architecture.md,
   * "Performance"). The same body (`{"query":…,"variables":…,"operationName":…}`), the same
   * refusal of a non-JSON or non-object answer, the same `errorFromResponse` for a non-2xx,
   * and the subgraph's `cache-control` restricts the response's cache policy as before.
   */
  private async send(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { request, context } = options;
    if (!request.query) throw new Error('Missing query');
    const { http, ...body } = request;
    const init = { method: 'POST', headers: this.headersFor(context as GatewayContext | undefined, http?.headers), body: JSON.stringify(body) };
    let response: FetcherResponse | undefined;
    try {
      response = await this.fetcher(this.url!, init);
      if (!response.ok) throw await this.errorFromResponse(response);
      const type = response.headers.get('content-type');
      const answer: unknown = type && (type.startsWith('application/json') || type.startsWith('application/graphql-response+json')) ? await response.json() : await response.text();
      if (answer === null || typeof answer !== 'object' || Array.isArray(answer)) throw new Error(`Expected JSON response body, but received: ${String(answer)}`);
      if (options.kind === 'incoming operation') restrictCachePolicy(options.incomingRequestContext.overallCachePolicy, response.headers.get('cache-control'));
      return answer as GatewayGraphQLResponse;
    } catch (error) {
      this.didEncounterError(error as Error, undefined, response, context, request);
      throw error;
    }
  }

  override didEncounterError(error: Error, _fetchRequest: unknown, response?: FetcherResponse, _context?: unknown, request?: { query?: string }): void {
    if (!response || response.status >= 502) {
      throw new AppError('UPSTREAM_UNAVAILABLE', `The ${this.name} service is unavailable`, { service: this.name });
    }
    // A 400 whose errors are BAD_USER_INPUT is the subgraph refusing a value the supergraph
    // could not check (a custom scalar such as DateTimeISO): the client's mistake, named.
    const refused = response.status === 400 ? badInput(error, request?.query) : undefined;
    if (refused) throw refused;
    // Anything else (a refused signature, a 4xx from a misconfigured route) is our fault:
    // a plain Error, so the client sees INTERNAL_SERVER_ERROR and the log has the detail.
    throw new Error(`${this.name} answered HTTP ${response.status}: ${error.message}`);
  }
}

/**
 * A subgraph's `cache-control` restricts the client response's cache policy, as
 * RemoteGraphQLDataSource does (`honorSubgraphCacheControlHeader`, on by default): no header
 * or no `max-age` is `maxAge: 0`; `private` / `public` set the scope.
 */
function restrictCachePolicy(policy: { restrict?: (hint: { maxAge?: number; scope?: 'PUBLIC' | 'PRIVATE' }) => void } | undefined, header: string | null): void {
  if (!policy || typeof policy.restrict !== 'function') return;
  // Apollo's parseCacheControlHeader: the last value of each directive wins, quotes dropped.
  const directives = new Map<string, string | true>();
  for (const part of header ? header.trim().split(/\s*,\s*/) : []) {
    const [name, value] = part.split(/\s*=\s*/, 2);
    directives.set(name!, value === undefined ? true : value.replace(/^"|"$/g, ''));
  }
  const maxAge = directives.get('max-age');
  const hint: { maxAge: number; scope?: 'PUBLIC' | 'PRIVATE' } = { maxAge: typeof maxAge === 'string' && /^[0-9]+$/.test(maxAge) ? Number(maxAge) : 0 };
  if (directives.get('private') === true) hint.scope = 'PRIVATE';
  if (directives.get('public') === true) hint.scope = 'PUBLIC';
  policy.restrict(hint);
}

/**
 * The subgraph's refusal of a value the supergraph could not check, as our BadInputError
 * naming the input field. A variable: Apollo's BAD_USER_INPUT `Variable "$input" got
 * invalid value "x" at "input.expiresAt"; …` names `expiresAt`. A literal: the scalar's
 * validation error at a location in the document, where the argument or input field
 * written there is the name. Apollo's hints ("Did you mean") are dropped.
 */
function badInput(error: Error, query: string | undefined): BadInputError | undefined {
  const body = (error as { extensions?: { response?: { body?: unknown } } }).extensions?.response?.body as
    | { errors?: { message?: unknown; locations?: { line: number; column: number }[]; extensions?: { code?: unknown } }[] }
    | undefined;
  const first = body?.errors?.[0];
  if (!first || typeof first.message !== 'string') return undefined;
  const message = first.message.replace(/\s*Did you mean[^?]*\?/g, '').slice(0, 500);
  if (first.extensions?.code === 'BAD_USER_INPUT') {
    const at = /\bat "([^"]+)"/.exec(message)?.[1];
    const variable = /^Variable "\$([A-Za-z0-9_]+)"/.exec(message)?.[1];
    const field = at ? at.split('.').filter((part) => !/^\d+$/.test(part)).at(-1)!.replace(/\[\d+\]$/, '') : variable ?? 'input';
    return new BadInputError(field, message);
  }
  // The gateway validated the document against the supergraph already: what only the
  // subgraph refuses at a value's position is a custom scalar's parseLiteral.
  if (first.extensions?.code === 'GRAPHQL_VALIDATION_FAILED') {
    const field = query && first.locations?.[0] ? fieldAt(query, first.locations[0]) : undefined;
    if (field) return new BadInputError(field, message);
  }
  return undefined;
}

/** The argument or input-object field whose value starts at `location` in `query`. */
function fieldAt(query: string, location: { line: number; column: number }): string | undefined {
  let found: string | undefined;
  try {
    const document = parse(query);
    const source = new Source(query);
    const check = (node: ArgumentNode | ObjectFieldNode) => {
      const at = node.value.loc && getLocation(source, node.value.loc.start);
      if (at && at.line === location.line && at.column === location.column) found = node.name.value;
    };
    visit(document, { Argument: check, ObjectField: check });
  } catch {
    return undefined;
  }
  return found;
}
