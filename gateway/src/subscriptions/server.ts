import { buildOperationContext, executeQueryPlan, type GraphQLDataSource } from '@apollo/gateway';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { Supergraph, operationFromDocument, type Schema } from '@apollo/federation-internals';
import { QueryPlanner } from '@apollo/query-planner';
import { AppError, newTraceContext, type Identity, type Logger, type Redis } from '@switchboard/kit';
import {
  GraphQLError,
  Kind,
  getArgumentValues,
  getNamedType,
  getOperationAST,
  getVariableValues,
  isLeafType,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  type GraphQLField,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValidationRule,
} from 'graphql';
import type { Context as WsContext, SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Authenticated } from '../authenticate';
import type { GatewayContext } from '../context';
import { LiveEvents, type LiveEvent } from './live-events';
import { PrimaryDataSource, livePlan, type LiveContext, type LivePlan } from './plan';

/** How a Subscription field with arguments is checked: the owning subgraph's Query field the caller must be able to read. */
/**
 * The graph's subscription fields that take an argument, and the Query field of the owning
 * subgraph that says whether the caller may see it (NOT_FOUND for another tenant's id).
 */
export const ACCESS_CHECKS: Record<string, AccessCheck> = {
  messageAdded: { query: 'conversation', arg: 'conversationId' },
  ticketUpdated: { query: 'ticket', arg: 'id' },
  typing: { query: 'conversation', arg: 'conversationId' },
};

export interface AccessCheck {
  /** The Query field, e.g. `conversation`. */
  query: string;
  /** The Subscription field's argument passed to it, e.g. `conversationId`. */
  arg: string;
  /** The Query field's argument that receives it (default `id`). */
  queryArg?: string;
}

export interface SubscriptionServerOptions {
  httpServer: http.Server;
  path?: string;
  supergraphSdl: string;
  /** The normal data source of a subgraph (SubgraphDataSource: signed identity, trace context). */
  dataSource: (name: string, url: string | undefined) => GraphQLDataSource<GatewayContext>;
  /** The gateway's authenticator: what `connection_init` is checked with. */
  authenticate: (credentials: { authorization?: string; apiKey?: string }) => Promise<Authenticated>;
  /** Live events come through Redis pub/sub when given; else in-process. */
  redis?: Redis;
  /** Subscription field → the Query field that checks access to its argument. Fields with arguments and no entry are refused. */
  accessChecks?: Record<string, AccessCheck>;
  /** Extra validation rules (the gateway's operation limits). */
  validationRules?: readonly ValidationRule[];
  maxTokens?: number;
  /** The gateway's error masking. */
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  logger: Logger;
  /** Results waiting to be sent on one socket before it is closed as too slow (1013). */
  queueLimit?: number;
  /** Re-authenticate every connection this often (0: never). */
  reauthMs?: number;
  /** How long close() waits for in-flight events to be delivered. */
  drainMs?: number;
}

export interface SubscriptionStats {
  connections: number;
  subscribers: number;
  /** Distinct (document, variables, identity) groups: one execution per event each. */
  groups: number;
  /** Per-event plan executions so far. */
  executions: number;
  channels: string[];
}

export interface SubscriptionServer {
  stats(): SubscriptionStats;
  /** Stops hearing events, delivers what is in flight, then closes every socket with 1001. */
  close(): Promise<void>;
}

/** Close codes (docs/api.md). */
export const CLOSE_FORBIDDEN = 4403;
export const CLOSE_TOO_SLOW = 1013;
export const CLOSE_GOING_AWAY = 1001;

interface Connection {
  ctx: WsContext;
  socket: WebSocket;
  identity: Identity;
  credentials: { authorization?: string; apiKey?: string };
  /** Results queued on this socket and not yet handed to graphql-ws. */
  queued: number;
  subscribers: Set<Subscriber>;
  reauth?: NodeJS.Timeout;
}

/** What onSubscribe hands to subscribe. */
interface LiveArgs {
  prepared: Prepared;
  source: string;
  variables: Record<string, unknown>;
  args: Record<string, unknown>;
  connection: Connection;
}

/** A planned subscription document (one per distinct text + operation name). */
interface Prepared {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  operationName?: string;
  operationContext: ReturnType<typeof buildOperationContext>;
  live: LivePlan;
  field: GraphQLField<unknown, unknown>;
  fieldNode: FieldNode;
}

/** Subscribers with the same document, variables and identity: one execution per event for all of them. */
interface Group {
  key: string;
  prepared: Prepared;
  source: string;
  variables: Record<string, unknown>;
  args: Record<string, unknown>;
  identity: Identity;
  subscribers: Set<Subscriber>;
  /** Deliveries in event order. */
  tail: Promise<void>;
  unlisten: () => void;
  /** Settles once the tenant's channel is subscribed. */
  ready: Promise<void>;
  isReady: boolean;
}

/**
 * One subscription's results on its way to graphql-ws: an async generator by hand, so that
 * `return()` cleans up even before the first `next()`. Counts toward its socket's bound.
 */
class Subscriber {
  private readonly queue: ExecutionResult[] = [];
  private waiting: ((result: IteratorResult<ExecutionResult>) => void) | undefined;
  private handedOut = false;
  /** Pushed and not yet confirmed sent (graphql-ws asks for the next only after sending). */
  unsent = 0;
  done = false;

  constructor(
    private readonly connection: Connection,
    private readonly onDone: (subscriber: Subscriber) => void,
    private readonly queueLimit: number,
  ) {}

  push(result: ExecutionResult): void {
    if (this.done) return;
    this.unsent += 1;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      this.handedOut = true;
      resolve({ value: result, done: false });
      return;
    }
    this.queue.push(result);
    this.connection.queued += 1;
    if (this.connection.queued > this.queueLimit) overflow(this.connection);
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.handedOut) {
      this.handedOut = false;
      this.unsent -= 1;
    }
    const value = this.queue.shift();
    if (value) {
      this.connection.queued -= 1;
      this.handedOut = true;
      return Promise.resolve({ value, done: false });
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<ExecutionResult>> {
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    this.finish();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  finish(): void {
    if (this.done) return;
    this.done = true;
    this.connection.queued -= this.queue.length;
    this.queue.length = 0;
    this.unsent = 0;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.({ value: undefined, done: true });
    this.onDone(this);
  }
}

/** A consumer that cannot keep up: its events are dropped and it is told to come back later. */
function overflow(connection: Connection): void {
  for (const subscriber of [...connection.subscribers]) subscriber.finish();
  connection.socket.close(CLOSE_TOO_SLOW, 'Too slow: events dropped; reconnect and catch up');
}

const codeError = (message: string, code: string, extra: Record<string, unknown> = {}) => new GraphQLError(message, { extensions: { ...extra, code } });

/**
 * GraphQL subscriptions over graphql-ws on the gateway's own HTTP server and path. Each
 * subscription is planned once by the gateway's query planner; each event (an entity key
 * on the tenant's live channel) is resolved by running the plan's primary fetch as an
 * `_entities` fetch from the event's representation and the rest as planned, with the
 * subscriber's identity. See docs/api.md "Live updates".
 */
export function startSubscriptions(options: SubscriptionServerOptions): SubscriptionServer {
  const log = options.logger;
  const queueLimit = options.queueLimit ?? 100;
  const supergraph = Supergraph.build(options.supergraphSdl);
  const apiFedSchema: Schema = supergraph.apiSchema();
  const apiSchema: GraphQLSchema = apiFedSchema.toGraphQLJSSchema();
  const supergraphSchema: GraphQLSchema = supergraph.schema.toGraphQLJSSchema();
  const planner = new QueryPlanner(supergraph);
  const serviceMap: Record<string, GraphQLDataSource<GatewayContext & LiveContext>> = Object.create(null);
  for (const subgraph of supergraph.subgraphs().values()) {
    serviceMap[subgraph.name] = new PrimaryDataSource(options.dataSource(subgraph.name, subgraph.url) as GraphQLDataSource<GatewayContext & LiveContext>);
  }
  const rules = [...specifiedRules, ...(options.validationRules ?? [])];
  const accessChecks = options.accessChecks ?? ACCESS_CHECKS;

  const live = new LiveEvents(options.redis, (error) => log.warn('live events', { error: (error as Error)?.message }));
  const connections = new Map<WsContext, Connection>();
  const groups = new Map<string, Group>();
  const prepared = new Map<string, Prepared>();
  const accessPlans = new Map<string, { prepared: ReturnType<typeof buildOperationContext>; plan: ReturnType<QueryPlanner['buildQueryPlan']>; source: string; field: string }>();
  const inflight = new Set<Promise<void>>();
  let executions = 0;
  let closing = false;

  // ------------------------------------------------------------ execution

  function requestContext(source: string, variables: Record<string, unknown>, operationName: string | undefined, context: GatewayContext & LiveContext) {
    return {
      request: { query: source, variables, operationName },
      context,
      logger: { debug() {}, info() {}, warn: (m: string) => log.warn(m), error: (m: string) => log.error(m) },
      metrics: {},
      cache: undefined,
    } as unknown as GatewayGraphQLRequestContext<GatewayContext>;
  }

  function contextFor(identity: Identity, extra: LiveContext = {}): GatewayContext & LiveContext {
    return { identity, trace: newTraceContext(), requestId: randomUUID(), ...extra };
  }

  async function runEvent(group: Group, event: LiveEvent): Promise<ExecutionResult | undefined> {
    const { prepared: p } = group;
    executions += 1;
    const context = contextFor(group.identity, { live: { representation: event.representation, plan: p.live } });
    const result = await executeQueryPlan(
      p.live.plan,
      serviceMap as never,
      requestContext(group.source, group.variables, p.operationName, context),
      p.operationContext,
      supergraphSchema,
      apiFedSchema,
    );
    const data = result.data as Record<string, unknown> | null | undefined;
    // An entity the subscriber may not see (or that is gone) answers null: say nothing.
    if (!result.errors?.length && (!data || data[p.live.responseKey] == null)) return undefined;
    return { data: data ?? null, ...(result.errors?.length ? { errors: result.errors } : {}) } as ExecutionResult;
  }

  function matches(group: Group, event: LiveEvent): boolean {
    if (event.field !== group.prepared.field.name) return false;
    for (const [name, value] of Object.entries(event.args ?? {})) {
      if (!(name in group.args) || String(group.args[name]) !== String(value)) return false;
    }
    return true;
  }

  function onEvent(group: Group, event: LiveEvent): void {
    if (!matches(group, event)) return;
    const result = runEvent(group, event).catch((error: unknown) => {
      log.error('live event execution failed', { error: (error as Error)?.message, field: event.field });
      return { errors: [codeError('Internal server error', 'INTERNAL_SERVER_ERROR')] } as ExecutionResult;
    });
    const delivered = (group.tail = group.tail
      .then(() => result)
      .then((value) => {
        if (value) for (const subscriber of [...group.subscribers]) subscriber.push(value);
      }));
    inflight.add(delivered);
    void delivered.finally(() => inflight.delete(delivered));
  }

  // ------------------------------------------------------------ subscribe

  function prepare(source: string, operationName: string | undefined): Prepared | readonly GraphQLError[] {
    const cacheKey = JSON.stringify([source, operationName ?? null]);
    const cached = prepared.get(cacheKey);
    if (cached) return cached;
    let document: DocumentNode;
    try {
      document = parse(source, options.maxTokens ? { maxTokens: options.maxTokens } : {});
    } catch (error) {
      return [codeError((error as Error).message, 'GRAPHQL_PARSE_FAILED')];
    }
    const errors = validate(apiSchema, document, rules);
    if (errors.length) return errors.map((e) => codeError(e.message, (e.extensions?.code as string | undefined) ?? 'GRAPHQL_VALIDATION_FAILED'));
    const operation = getOperationAST(document, operationName);
    if (!operation) return [codeError('Unable to identify the operation: name it with operationName', 'BAD_REQUEST')];
    if (operation.operation !== 'subscription') {
      return [codeError('Only subscriptions are served over WebSocket; send queries and mutations over HTTP', 'BAD_REQUEST')];
    }
    const subscriptionType = apiSchema.getSubscriptionType()!;
    const roots = operation.selectionSet.selections.filter((s): s is FieldNode => s.kind === Kind.FIELD && s.name.value !== '__typename');
    if (roots.length !== 1 || roots.length !== operation.selectionSet.selections.length) {
      return [codeError('A subscription selects exactly one root field, without fragments', 'BAD_REQUEST')];
    }
    const fieldNode = roots[0]!;
    const field = subscriptionType.getFields()[fieldNode.name.value]!;
    const entityType = getNamedType(field.type).name;
    const name = operationName ?? operation.name?.value;
    const plan = planner.buildQueryPlan(operationFromDocument(apiFedSchema, document, { operationName: name }));
    const result: Prepared = {
      document,
      operation,
      operationName: name,
      operationContext: buildOperationContext({ schema: apiSchema, operationDocument: document, operationName: name }),
      live: livePlan(plan, entityType),
      field,
      fieldNode,
    };
    if (prepared.size >= 1_000) prepared.delete(prepared.keys().next().value!);
    prepared.set(cacheKey, result);
    return result;
  }

  /** Asks the owning subgraph, through a normal query with the caller's identity, whether the caller may read the argument. */
  async function checkAccess(fieldName: string, args: Record<string, unknown>, identity: Identity): Promise<readonly GraphQLError[] | undefined> {
    const check = accessChecks[fieldName];
    if (!check) return [codeError(`Subscription ${fieldName} has no access check configured`, 'FORBIDDEN')];
    let entry = accessPlans.get(fieldName);
    if (!entry) {
      const queryField = apiSchema.getQueryType()?.getFields()[check.query];
      const argName = check.queryArg ?? 'id';
      const arg = queryField?.args.find((a) => a.name === argName);
      if (!queryField || !arg) throw new Error(`access check for ${fieldName}: no Query.${check.query}(${argName})`);
      const selection = isLeafType(getNamedType(queryField.type)) ? '' : ' { __typename }';
      const source = `query SubscriptionAccess($value: ${arg.type.toString()}) { ${check.query}(${argName}: $value)${selection} }`;
      const document = parse(source);
      entry = {
        source,
        field: check.query,
        prepared: buildOperationContext({ schema: apiSchema, operationDocument: document, operationName: 'SubscriptionAccess' }),
        plan: planner.buildQueryPlan(operationFromDocument(apiFedSchema, document, { operationName: 'SubscriptionAccess' })),
      };
      accessPlans.set(fieldName, entry);
    }
    const variables = { value: args[check.arg] };
    const result = await executeQueryPlan(
      entry.plan,
      serviceMap as never,
      requestContext(entry.source, variables, 'SubscriptionAccess', contextFor(identity)),
      entry.prepared,
      supergraphSchema,
      apiFedSchema,
    );
    if (result.errors?.length) return result.errors;
    if ((result.data as Record<string, unknown> | undefined)?.[entry.field] == null) return [codeError(`${check.arg} ${String(variables.value)} not found`, 'NOT_FOUND')];
    return undefined;
  }

  function groupFor(p: Prepared, source: string, variables: Record<string, unknown>, args: Record<string, unknown>, identity: Identity): Group {
    const { exp: _exp, ...who } = identity;
    const key = JSON.stringify([source, p.operationName ?? null, variables, who]);
    let group = groups.get(key);
    if (!group) {
      const created: Group = {
        key,
        prepared: p,
        source,
        variables,
        args,
        identity,
        subscribers: new Set(),
        tail: Promise.resolve(),
        unlisten: () => {},
        ready: Promise.resolve(),
        isReady: false,
      };
      const listening = live.listen(identity.tenantId!, (event) => onEvent(created, event));
      created.unlisten = listening.stop;
      created.ready = listening.ready.then(() => void (created.isReady = true));
      groups.set(key, created);
      group = created;
    }
    return group;
  }

  /** Parses, validates, plans and access-checks a subscription: its execution arguments, or its errors. */
  async function admit(ctx: WsContext, payload: SubscribePayload): Promise<ExecutionArgs | readonly GraphQLError[]> {
    const connection = connections.get(ctx);
    if (!connection || closing) return [codeError('The server is shutting down', 'UPSTREAM_UNAVAILABLE')];
    const p = prepare(payload.query, payload.operationName ?? undefined);
    if (!('live' in p)) return p;
    const coerced = getVariableValues(apiSchema, p.operation.variableDefinitions ?? [], payload.variables ?? {});
    if (coerced.errors) return coerced.errors.map((e) => codeError(e.message, 'BAD_USER_INPUT'));
    const variables = coerced.coerced;
    let args: Record<string, unknown>;
    try {
      args = getArgumentValues(p.field, p.fieldNode, variables);
    } catch (error) {
      return [codeError((error as Error).message, 'BAD_USER_INPUT')];
    }
    if (p.field.args.length > 0) {
      const refused = await checkAccess(p.field.name, args, connection.identity);
      if (refused) return refused;
    }
    const contextValue: LiveArgs = { prepared: p, variables, args, source: payload.query, connection };
    return { schema: apiSchema, document: p.document, operationName: p.operationName, variableValues: variables, contextValue };
  }

  // ------------------------------------------------------------ graphql-ws

  const wsServer = new WebSocketServer({ server: options.httpServer, path: options.path ?? '/graphql' });
  const format = (errors: readonly GraphQLError[]) => errors.map((e) => options.formatError(e.toJSON(), e));

  const server = useServer<Record<string, unknown> | undefined, { socket: WebSocket; request: http.IncomingMessage }>(
    {
      onConnect: async (ctx) => {
        const socket = ctx.extra.socket;
        if (closing) {
          socket.close(CLOSE_GOING_AWAY, 'Going away');
          return false;
        }
        const params = ctx.connectionParams ?? {};
        const credentials = {
          authorization: stringParam(params.authorization ?? params.Authorization),
          apiKey: stringParam(params.apiKey ?? params['x-api-key']),
        };
        if (!credentials.authorization && !credentials.apiKey) return false;
        let identity: Identity;
        try {
          ({ identity } = await options.authenticate(credentials));
        } catch (error) {
          if (error instanceof AppError && error.code === 'UPSTREAM_UNAVAILABLE') {
            socket.close(CLOSE_TOO_SLOW, 'Cannot verify credentials right now');
          }
          return false;
        }
        if (identity.kind === 'anonymous' || !identity.tenantId) return false;
        const connection: Connection = { ctx: ctx as WsContext, socket, identity, credentials, queued: 0, subscribers: new Set() };
        connections.set(ctx as WsContext, connection);
        if (options.reauthMs) {
          connection.reauth = setInterval(() => void reauthenticate(connection), options.reauthMs);
          connection.reauth.unref();
        }
        return true;
      },
      onSubscribe: async (ctx, _id, payload: SubscribePayload) => {
        try {
          return await admit(ctx as WsContext, payload);
        } catch (error) {
          // A planner or configuration failure is this subscription's error, not the socket's.
          log.error('subscription refused by an internal error', { error: (error as Error)?.message });
          return [codeError('Internal server error', 'INTERNAL_SERVER_ERROR')];
        }
      },
      subscribe: async (execArgs) => {
        const { prepared: p, variables, args, source, connection } = execArgs.contextValue as LiveArgs;
        if (closing || !connections.has(connection.ctx)) return { errors: [codeError('The connection is closing', 'UPSTREAM_UNAVAILABLE')] };
        const group = groupFor(p, source, variables, args, connection.identity);
        const subscriber = new Subscriber(
          connection,
          (s) => {
            connection.subscribers.delete(s);
            group.subscribers.delete(s);
            if (group.subscribers.size === 0 && groups.get(group.key) === group) {
              groups.delete(group.key);
              group.unlisten();
            }
          },
          queueLimit,
        );
        group.subscribers.add(subscriber);
        connection.subscribers.add(subscriber);
        await group.ready; // events published from here on reach it
        return subscriber as unknown as AsyncGenerator<ExecutionResult>;
      },
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: format(result.errors) } : undefined,
      onError: (_ctx, _id, _payload, errors) => format(errors),
      onClose: (ctx) => {
        const connection = connections.get(ctx as WsContext);
        if (!connection) return;
        connections.delete(ctx as WsContext);
        if (connection.reauth) clearInterval(connection.reauth);
        for (const subscriber of [...connection.subscribers]) subscriber.finish();
      },
    },
    wsServer,
  );

  /** Credentials are re-checked on a timer: revoked, expired or changed → 4403. */
  async function reauthenticate(connection: Connection): Promise<void> {
    try {
      const { identity } = await options.authenticate(connection.credentials);
      const { exp: _a, ...now } = identity;
      const { exp: _b, ...before } = connection.identity;
      if (JSON.stringify(now) === JSON.stringify(before)) return;
    } catch (error) {
      if (error instanceof AppError && error.code === 'UPSTREAM_UNAVAILABLE') return; // keep it; try again next time
    }
    connection.socket.close(CLOSE_FORBIDDEN, 'Forbidden');
  }

  let closed: Promise<void> | undefined;
  return {
    stats: () => ({
      connections: connections.size,
      subscribers: [...groups.values()].reduce((n, g) => n + (g.isReady ? g.subscribers.size : 0), 0),
      groups: groups.size,
      executions,
      channels: live.channels(),
    }),
    close: () =>
      (closed ??= (async () => {
        closing = true;
        live.close(); // no new events; the ones already heard are in flight
        const deadline = Date.now() + (options.drainMs ?? 5_000);
        while (inflight.size && Date.now() < deadline) await Promise.race([Promise.all([...inflight]), delay(deadline - Date.now())]);
        const unsent = () => [...connections.values()].some((c) => [...c.subscribers].some((s) => s.unsent > 0) && c.socket.readyState === c.socket.OPEN);
        while (unsent() && Date.now() < deadline) await delay(5);
        for (const connection of connections.values()) if (connection.reauth) clearInterval(connection.reauth);
        await server.dispose(); // closes every socket with 1001 "Going away"
      })()),
  };
}

function stringParam(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value : undefined;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)).unref());
}
