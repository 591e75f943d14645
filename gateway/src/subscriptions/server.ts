import type { GraphQLDataSource } from '@apollo/gateway';
import { AppError, PRINCIPALS_CHANNEL, type Identity, type Logger, type Notifier, type Redis } from '@switchboard/kit';
import type { ExecutionArgs, ExecutionResult, GraphQLError, GraphQLFormattedError, ValidationRule } from 'graphql';
import { CloseCode, type Context as WsContext, type SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Authenticated } from '../authenticate';
import type { GatewayContext } from '../context';
import { AccessChecks, liveAccessRules } from './access';
import { liveInitialIds } from './initial';
import { CLOSE_FORBIDDEN, CLOSE_GOING_AWAY, CLOSE_RATE_LIMITED, CLOSE_TOO_SLOW } from './close-codes';
import { Connections, type Connection, type Credentials } from './connections';
import { Executor } from './executor';
import { FanOut, delay } from './groups';
import { Counter, DEFAULT_LIMITS, charge, clientIp, principalKey, type LiveLimits, type LiveRateLimit } from './limits';
import { Preparer, codeError, type Prepared } from './prepare';
import { documentFor, type OperationSafelist } from './safelist';

/**
 * What the HTTP edge knows about abusive clients, asked when a socket connects: a blocked
 * address, key or user is closed with 4403 (reason `BLOCKED: …`), and a failed
 * authentication is charged to the address (its failed-authentication budget and threat
 * score) exactly as over HTTP; an address past that budget is closed with 4429 before its
 * credential is looked up.
 */
export interface ConnectionGuard {
  /** The block that applies to this address (no identity yet) or to this key or user. */
  blocked(ip: string, identity?: Identity): Promise<{ retryAfter: number } | undefined>;
  /** The address is past its failed-authentication budget: seconds to wait. */
  overAuthFailureBudget(ip: string): Promise<number | undefined>;
  /** A connect whose credential was refused. */
  authFailed(ip: string): Promise<void>;
}

export interface SubscriptionServerOptions {
  httpServer: http.Server;
  path?: string;
  /** The supergraph: its schema, plan, and the `@liveAccess` rules of its Subscription fields. */
  supergraphSdl: string;
  /** The normal data source of a subgraph (SubgraphDataSource: signed identity, trace context). */
  dataSource: (name: string, url: string | undefined) => GraphQLDataSource<GatewayContext>;
  /** The gateway's authenticator: what `connection_init` is checked with. */
  authenticate: (credentials: Credentials) => Promise<Authenticated>;
  /** Live events come through Redis pub/sub when given; else in-process. */
  redis?: Redis;
  /** Told, per group and event, the seconds from the event's publication to its delivery to the sockets (`live_delivery_lag_seconds`). */
  onDelivered?: (lagSeconds: number) => void;
  /** The persisted-operation manifest PARTNER keys are held to (as over HTTP). */
  safelist?: OperationSafelist;
  /** Where the tenants subgraph announces principal changes: affected sockets re-authorize at once. */
  notifier?: Notifier;
  /** Called with each principal-change notice before the affected sockets re-authorize (the gateway drops its cached principals). */
  onPrincipalChange?: (change: Record<string, unknown>) => void;
  /** Connects and subscribes take from the HTTP rate limiter's buckets. */
  rateLimit?: LiveRateLimit;
  /** The HTTP edge's abuse rules, for sockets too: blocked clients and failed authentications. */
  guard?: ConnectionGuard;
  /** Frame, subscription and socket caps (defaults: DEFAULT_LIMITS). */
  limits?: Partial<LiveLimits>;
  /** Proxies whose X-Forwarded-For to trust for the client IP (as the HTTP side's `trust proxy`). */
  trustProxy?: number;
  /** Extra validation rules (the gateway's operation limits). */
  validationRules?: readonly ValidationRule[];
  maxTokens?: number;
  /** The gateway's error masking. */
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  logger: Logger;
  /** Results waiting to be sent on one socket before it is closed as too slow (1013). */
  queueLimit?: number;
  /** Re-authenticate every connection this often (0: never), besides on every principal-change notice. */
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

/** What onSubscribe hands to subscribe. */
interface LiveArgs {
  prepared: Prepared;
  source: string;
  variables: Record<string, unknown>;
  args: Record<string, unknown>;
  connection: Connection;
}

/**
 * GraphQL subscriptions over graphql-ws on the gateway's own HTTP server and path: the
 * adapter between graphql-ws and the parts — Executor (the supergraph and its planner),
 * Preparer (parse, validate, plan), AccessChecks (the subgraphs' `@liveAccess` rules),
 * FanOut (live events → groups → Subscriber queues), Connections (the sockets and their
 * re-authorization) and the limits. Partner keys are held to the manifest; principal-change
 * notices re-authorize the affected sockets at once. See docs/api.md "Live updates".
 */
export function startSubscriptions(options: SubscriptionServerOptions): SubscriptionServer {
  const log = options.logger;
  const queueLimit = options.queueLimit ?? 100;
  const limits: LiveLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const executor = new Executor(options.supergraphSdl, options.dataSource, log);
  const preparer = new Preparer(executor, options.validationRules, options.maxTokens);
  const access = new AccessChecks(executor, liveAccessRules(options.supergraphSdl));
  const initialIds = liveInitialIds(options.supergraphSdl);
  const connections = new Connections(options.authenticate, options.reauthMs ?? 0);
  // Redis pub/sub keeps nothing: events published while the gateway's connection was down are
  // gone. Every socket with a subscription is told so (1013) and reconnects and catches up
  // with a cursor query, as it does after "too slow" (docs/api.md "Live updates").
  const fanOut = new FanOut(executor, options.redis, log, () => {
    let closed = 0;
    for (const connection of [...connections.values()]) {
      if (!connection.subscribers.size || connection.socket.readyState !== connection.socket.OPEN) continue;
      for (const subscriber of [...connection.subscribers]) subscriber.finish();
      connection.socket.close(CLOSE_TOO_SLOW, 'Live events may have been missed (the event bus reconnected); reconnect and catch up');
      closed++;
    }
    log.warn('live events: the Redis connection is back; sockets told to reconnect and catch up', { sockets: closed });
  }, options.onDelivered);
  const perIp = new Counter();
  const ips = new WeakMap<WebSocket, string>();
  let closing = false;

  /** Cap → rate limit → the safelist → parse, validate, plan → variables → access check: its execution arguments, or its errors. */
  async function admit(connection: Connection, payload: SubscribePayload): Promise<ExecutionArgs | readonly GraphQLError[]> {
    if (closing) return [codeError('The server is shutting down', 'UPSTREAM_UNAVAILABLE')];
    if (connection.slots > limits.subscriptionsPerSocket) {
      return [
        codeError(`At most ${limits.subscriptionsPerSocket} subscriptions per socket: complete one, or open another socket`, 'RATE_LIMITED', {
          bucket: 'subscriptionsPerSocket',
          limit: limits.subscriptionsPerSocket,
        }),
      ];
    }
    const refused = await charge(options.rateLimit, connection.identity, connection.ip, connection.requestsPerMinute);
    if (refused) {
      return [codeError(`Rate limit exceeded (${refused.limit} per minute); retry after ${refused.retryAfter} s`, 'RATE_LIMITED', { ...refused })];
    }
    const source = documentFor(payload, connection.identity, options.safelist);
    if (typeof source !== 'string') return source;
    const p = preparer.prepare(source, payload.operationName ?? undefined);
    if (!('live' in p)) return p;
    const coerced = preparer.coerce(p, payload.variables);
    if (!('args' in coerced)) return coerced;
    const { variables, args } = coerced;
    if (p.field.args.length > 0) {
      const denied = await access.check(p.field.name, args, connection.identity);
      if (denied) return denied;
    }
    const contextValue: LiveArgs = { prepared: p, variables, args, source, connection };
    return { schema: executor.apiSchema, document: p.document, operationName: p.operationName, variableValues: variables, contextValue };
  }

  // ------------------------------------------------------------ graphql-ws

  const wsServer = new WebSocketServer({ server: options.httpServer, path: options.path ?? '/graphql', maxPayload: limits.maxPayloadBytes });
  // Before graphql-ws's own listener: the per-IP cap, before anything on the socket is read.
  wsServer.on('connection', (socket: WebSocket, request: http.IncomingMessage) => {
    const ip = clientIp(request, options.trustProxy ?? 0);
    if (!perIp.add(ip, limits.socketsPerIp)) {
      socket.close(CLOSE_RATE_LIMITED, `Too many sockets from this address (at most ${limits.socketsPerIp})`);
      return;
    }
    ips.set(socket, ip);
    socket.once('close', () => perIp.remove(ip));
    // graphql-ws's listener (added right after this one) prints every socket error with
    // console.error; a client's oversize or malformed frame (ws has already closed the socket
    // with 1009 / 1002) is logged here instead, as a warning with its code.
    queueMicrotask(() => {
      for (const listener of socket.listeners('error')) socket.off('error', listener as (...args: unknown[]) => void);
      socket.on('error', (error: Error & { code?: string }) => {
        log.warn('live socket error', { code: error.code, error: error.message });
        if (socket.readyState === socket.OPEN) socket.close(CloseCode.InternalServerError, 'Internal server error');
      });
    });
  });
  const format = (errors: readonly GraphQLError[]) => errors.map((e) => options.formatError(e.toJSON(), e));

  const server = useServer<Record<string, unknown> | undefined, { socket: WebSocket; request: http.IncomingMessage }>(
    {
      onConnect: async (ctx) => {
        const socket = ctx.extra.socket;
        const ip = ips.get(socket);
        if (ip === undefined) return false; // refused by the per-IP cap; already closing
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
        // Every connect takes from its address's bucket before the credential is looked up, so
        // guessing keys or tokens over sockets is throttled like anonymous HTTP requests.
        const guessing = await charge(options.rateLimit, ANONYMOUS, ip, undefined);
        if (guessing) {
          socket.close(CLOSE_RATE_LIMITED, `RATE_LIMITED: ${guessing.bucket} (${guessing.limit} per minute); retry after ${guessing.retryAfter} s`);
          return false;
        }
        const guard = options.guard;
        const addressBlock = await guard?.blocked(ip);
        if (addressBlock) {
          socket.close(CLOSE_FORBIDDEN, `BLOCKED: retry after ${addressBlock.retryAfter} s`);
          return false;
        }
        const waitFor = await guard?.overAuthFailureBudget(ip);
        if (waitFor) {
          socket.close(CLOSE_RATE_LIMITED, `RATE_LIMITED: authFailures; retry after ${waitFor} s`);
          return false;
        }
        let authenticated: Authenticated;
        try {
          authenticated = await options.authenticate(credentials);
        } catch (error) {
          if (error instanceof AppError && error.code === 'UPSTREAM_UNAVAILABLE') {
            socket.close(CLOSE_TOO_SLOW, 'Cannot verify credentials right now');
          } else if (error instanceof AppError && error.code === 'UNAUTHENTICATED') {
            await guard?.authFailed(ip);
          }
          return false;
        }
        const { identity, requestsPerMinute } = authenticated;
        if (identity.kind === 'anonymous' || !identity.tenantId) return false;
        const block = await guard?.blocked(ip, identity);
        if (block) {
          socket.close(CLOSE_FORBIDDEN, `BLOCKED: retry after ${block.retryAfter} s`);
          return false;
        }
        const refused = await charge(options.rateLimit, identity, ip, requestsPerMinute);
        if (refused) {
          socket.close(CLOSE_RATE_LIMITED, `RATE_LIMITED: ${refused.bucket} (${refused.limit} per minute); retry after ${refused.retryAfter} s`);
          return false;
        }
        if (socket.readyState !== socket.OPEN) return false;
        const connection: Connection = {
          ctx: ctx as WsContext,
          socket,
          ip,
          identity,
          requestsPerMinute,
          credentials,
          principal: principalKey(identity),
          queued: 0,
          slots: 0,
          subscribers: new Set(),
          overflow: () => {
            // A consumer that cannot keep up: its events are dropped and it is told to come back later.
            for (const subscriber of [...connection.subscribers]) subscriber.finish();
            socket.close(CLOSE_TOO_SLOW, 'Too slow: events dropped; reconnect and catch up');
          },
        };
        if (!connections.add(connection, limits.socketsPerPrincipal)) {
          socket.close(CLOSE_RATE_LIMITED, `Too many sockets for these credentials (at most ${limits.socketsPerPrincipal})`);
          return false;
        }
        return true;
      },
      onSubscribe: async (ctx, _id, payload: SubscribePayload) => {
        const connection = connections.get(ctx as WsContext);
        if (!connection) return [codeError('The connection is closing', 'UPSTREAM_UNAVAILABLE')];
        connection.slots += 1;
        try {
          const admitted = await admit(connection, payload);
          if (Array.isArray(admitted)) connection.slots -= 1;
          return admitted;
        } catch (error) {
          connection.slots -= 1;
          // A planner or configuration failure is this subscription's error, not the socket's.
          log.error('subscription refused by an internal error', { error: (error as Error)?.message });
          return [codeError('Internal server error', 'INTERNAL_SERVER_ERROR')];
        }
      },
      subscribe: async (execArgs) => {
        const { prepared: p, variables, args, source, connection } = execArgs.contextValue as LiveArgs;
        if (closing || !connections.get(connection.ctx)) {
          connection.slots -= 1;
          return { errors: [codeError('The connection is closing', 'UPSTREAM_UNAVAILABLE')] };
        }
        const { subscriber, ready } = fanOut.join(p, source, variables, args, connection.identity, connection, queueLimit, (s) => {
          connection.subscribers.delete(s);
          connection.slots -= 1;
        });
        connection.subscribers.add(subscriber);
        await ready; // events published from here on reach it
        // A field with @liveInitial: its current value first, for this subscriber only.
        const initialId = initialIds.get(p.field.name);
        if (initialId !== undefined) fanOut.first(p, source, variables, connection.identity, subscriber, initialId);
        return subscriber as unknown as AsyncGenerator<ExecutionResult>;
      },
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: format(result.errors) } : undefined),
      onError: (_ctx, _id, _payload, errors) => format(errors),
      onClose: (ctx) => {
        const connection = connections.remove(ctx as WsContext);
        for (const subscriber of [...(connection?.subscribers ?? [])]) subscriber.finish();
      },
    },
    wsServer,
  );

  // The tenants subgraph announces every role change, removal, revocation and suspension
  // (userId / apiKeyId / tenantId) before it answers: the sockets it concerns re-authorize now.
  const notices = options.notifier?.subscribe(PRINCIPALS_CHANNEL, (change) => {
    options.onPrincipalChange?.(change);
    connections.principalChanged(change);
  });

  let closed: Promise<void> | undefined;
  return {
    stats: () => ({ connections: connections.size, ...fanOut.stats() }),
    close: () =>
      (closed ??= (async () => {
        closing = true;
        notices?.close();
        const deadline = Date.now() + (options.drainMs ?? 5_000);
        await fanOut.stop(deadline); // no new events; the ones already heard are delivered
        const unsent = () => [...connections.values()].some((c) => [...c.subscribers].some((s) => s.unsent > 0) && c.socket.readyState === c.socket.OPEN);
        while (unsent() && Date.now() < deadline) await delay(5);
        connections.stopTimers();
        await server.dispose(); // closes every socket with 1001 "Going away"
      })()),
  };
}

const ANONYMOUS: Identity = { kind: 'anonymous', roles: [], scopes: [], exp: 0 };

function stringParam(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value : undefined;
}
