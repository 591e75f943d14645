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
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const http = request.http!;
    if (!context?.identity) throw new Error('gateway context without identity');
    const { exp: _exp, audience: _aud, jti: _jti, ...identity } = context.identity;
    http.headers.set(IDENTITY_HEADER, signIdentity({ ...identity, audience: this.name, requestId: context.requestId }, this.internalSecret, IDENTITY_TTL_SECONDS));
    http.headers.set('traceparent', formatTraceparent(outgoingTraceContext(context.trace)));
    http.headers.set('x-request-id', context.requestId);
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
    if (!this.onFetch) return super.process(options);
    const started = process.hrtime.bigint();
    try {
      return await super.process(options);
    } finally {
      this.onFetch(this.name, Number(process.hrtime.bigint() - started) / 1e9);
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
