import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/**
 * The closed set of `extensions.code` a client can see, with what each means.
 * docs/api.md prints this table; nothing else may invent a code.
 */
export const ERROR_CODES = {
  UNAUTHENTICATED: 'No valid credentials: log in, or send a valid, unrevoked, unexpired API key.',
  FORBIDDEN: 'Authenticated, but your role or key scopes do not allow this.',
  NOT_FOUND: 'No such object in your tenant (another tenant’s IDs answer this too).',
  BAD_USER_INPUT: 'An argument is invalid; `extensions.field` names it.',
  CONFLICT: 'The write collides with existing data or a concurrent change (duplicate, stale version, last owner).',
  INVALID_TRANSITION: 'The object’s state does not allow this change; `extensions.allowed` lists what does.',
  RATE_LIMITED: 'Too many requests for your key or tenant plan; retry after `extensions.retryAfter` seconds.',
  BLOCKED: 'This address, key or account is blocked for a while after repeated failed or abusive requests (HTTP 403); retry after `extensions.retryAfter` seconds.',
  QUOTA_EXCEEDED: 'A plan quota (seats, monthly tokens) is used up.',
  OPERATION_TOO_COMPLEX: 'The operation exceeds a depth, alias, root field, directive or cost limit.',
  UPSTREAM_UNAVAILABLE: 'A service behind the gateway, or its database, did not answer; its fields are null. `extensions.retryable: true`: the same request may succeed when retried.',
  INTERNAL_SERVER_ERROR: 'Something failed on our side; the error is logged with `extensions.traceId`.',
  GRAPHQL_PARSE_FAILED: 'The document is not valid GraphQL syntax (or exceeds the token limit).',
  GRAPHQL_VALIDATION_FAILED: 'The document does not validate against the schema.',
  BAD_REQUEST: 'The HTTP request is malformed (body, method, content type, batching).',
  PERSISTED_QUERY_NOT_FOUND: 'APQ: the hash is not registered yet; send the query with it.',
  PERSISTED_QUERY_NOT_IN_LIST: 'The operation id is not in the persisted-operation manifest.',
  PERSISTED_QUERY_ID_REQUIRED: 'This key may only run operations from the manifest, by id.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

/** An expected failure: its message and extensions reach the client as they are. */
export class AppError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
    this.name = 'AppError';
  }
  get code(): ErrorCode {
    return this.extensions.code as ErrorCode;
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'Authentication required') {
    super('UNAUTHENTICATED', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'You are not allowed to do this') {
    super('FORBIDDEN', message);
  }
}

export class NotFoundError extends AppError {
  constructor(entity: string, id?: string) {
    super('NOT_FOUND', id ? `${entity} ${id} not found` : `${entity} not found`, { entity });
  }
}

export class BadInputError extends AppError {
  constructor(field: string, message: string) {
    super('BAD_USER_INPUT', message, { field });
  }
}

export class ConflictError extends AppError {
  constructor(message: string, extensions: Record<string, unknown> = {}) {
    super('CONFLICT', message, extensions);
  }
}

export class InvalidTransitionError extends AppError {
  constructor(message: string, from: string, allowed: readonly string[]) {
    super('INVALID_TRANSITION', message, { from, allowed });
  }
}

/** Apollo's request-error codes: their messages may carry "Did you mean" hints. */
const APOLLO_CODES = new Set<string>(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'BAD_REQUEST']);

const SUGGESTION = / ?Did you mean .*\?$/;

export interface MaskOptions {
  traceId?: string;
  /** Called with every error that is masked, so it is logged with the trace id. */
  onInternal?: (error: unknown) => void;
  /** The service answering (a lost database is named after it in `extensions.service`). */
  service?: string;
  /** Called with every database refusal of a value answered as BAD_USER_INPUT (a validation the service missed). */
  onRefusedValue?: (error: unknown) => void;
  /** Called with every lost-database error answered as UPSTREAM_UNAVAILABLE (retryable). */
  onUnavailable?: (error: unknown) => void;
}

/** SQLSTATE classes and codes that mean the database went away, not that the statement was wrong. */
const LOST_SQLSTATE = /^(08...|57P01|57P02|57P03|53300)$/; // connection exception; admin/crash shutdown; cannot connect now; too many connections
const LOST_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNABORTED']);
const LOST_MESSAGE = /Connection terminated|Connection ended unexpectedly|terminating connection|the database system is (starting up|shutting down)|Timeout acquiring a connection|Client has encountered a connection error|Unable to acquire a connection|Connection is closed/i;

/**
 * SQLSTATEs that mean the database refused a value the service let through (NUL in text,
 * a string beyond a column or index limit, a number out of range, bad encoding): the
 * client's input, not our failure. A safety net; services validate first (validation.ts).
 */
const REFUSED_VALUE_SQLSTATE = /^(22021|22P05|22001|22003|22007|22008|2200H|54000)$/;

export function isRefusedValue(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 3) return false;
  const e = error as Error & { code?: unknown; sqlState?: unknown };
  const sqlState = typeof e.sqlState === 'string' ? e.sqlState : typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined;
  if (sqlState && REFUSED_VALUE_SQLSTATE.test(sqlState)) return true;
  // PGlite/pg on NUL in a text parameter, before PostgreSQL sees it.
  if (/invalid byte sequence for encoding|unsupported Unicode escape sequence/i.test(e.message)) return true;
  return isRefusedValue(e.cause, depth + 1);
}

/**
 * knex's answer to a statement on a transaction it has already ended. After a lost connection
 * (the BEGIN of a transaction went to a pooled connection that `pg_terminate_backend` or a
 * restart had closed) it is what the transaction's first statement throws, while the real
 * cause only reaches the driver's log. Outside that it is a programming error.
 */
const ENDED_TRANSACTION = /^Transaction query already complete/;
/** How long after a lost connection an ended transaction counts as part of it. */
const LOSS_WINDOW_MS = 10_000;
let lastConnectionLoss = Number.NEGATIVE_INFINITY;

/** The driver reported a lost connection (db.ts' driver log): see ENDED_TRANSACTION. */
export function noteConnectionLost(now = Date.now()): void {
  lastConnectionLoss = now;
}

/**
 * True when `error` (or its cause) says the database connection was lost or could not be
 * had: a restart, `pg_terminate_backend`, a network cut, a full pool. Expected and
 * retryable, unlike a bad statement. knex's "Transaction query already complete" counts only
 * within seconds of a lost connection the driver reported (`noteConnectionLost`).
 */
export function isDatabaseUnavailable(error: unknown, depth = 0, now = Date.now()): boolean {
  if (!(error instanceof Error) || depth > 3) return false;
  if (ENDED_TRANSACTION.test(error.message) && now - lastConnectionLoss <= LOSS_WINDOW_MS) return true;
  const e = error as Error & { code?: unknown; sqlState?: unknown; errno?: unknown };
  const sqlState = typeof e.sqlState === 'string' ? e.sqlState : typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined;
  if (sqlState && LOST_SQLSTATE.test(sqlState)) return true;
  if (typeof e.code === 'string' && LOST_ERRNO.has(e.code)) return true;
  if (e.name === 'ConnectionException' || e.name === 'KnexTimeoutError') return true;
  if (LOST_MESSAGE.test(e.message)) return true;
  return isDatabaseUnavailable(e.cause, depth + 1, now);
}

/**
 * The one edge mapping: typed errors pass with their code; Apollo's request errors pass
 * without "Did you mean" hints; anything else becomes INTERNAL_SERVER_ERROR with no
 * stack, SQL or message from inside.
 */
/** Apollo codes outside our set, and what a client sees instead. */
const RENAMED: Record<string, ErrorCode> = { OPERATION_RESOLUTION_FAILURE: 'BAD_REQUEST', PERSISTED_QUERY_NOT_SUPPORTED: 'BAD_REQUEST' };

export function maskError(formatted: GraphQLFormattedError, original: unknown, options: MaskOptions = {}): GraphQLFormattedError {
  const raw = formatted.extensions?.code;
  const code = typeof raw === 'string' ? (RENAMED[raw] ?? raw) : raw;
  // An exception thrown from code (not a GraphQLError) is unexpected, whatever code a
  // library stamped on it. Errors relayed from a subgraph carry a plain object here.
  const inner = original instanceof GraphQLError ? original.originalError : original;
  const thrown = inner instanceof Error && !(inner instanceof GraphQLError);
  if (!thrown && isErrorCode(code) && code !== 'INTERNAL_SERVER_ERROR') {
    const { stacktrace: _s, exception: _e, response: _r, serviceName: _n, http: _h, ...extensions } = formatted.extensions ?? {};
    return {
      message: APOLLO_CODES.has(code) ? formatted.message.replace(SUGGESTION, '') : formatted.message,
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { ...extensions, code },
    };
  }
  const relayedTrace = formatted.extensions?.traceId;
  if (!thrown && code === 'INTERNAL_SERVER_ERROR' && typeof relayedTrace === 'string') {
    // Already masked (and logged) by the subgraph that failed.
    return { message: formatted.message, ...(formatted.path ? { path: formatted.path } : {}), extensions: { code, traceId: relayedTrace } };
  }
  if (thrown && isRefusedValue(inner)) {
    options.onRefusedValue?.(original);
    return {
      message: 'A value is not valid (control characters, length or range)',
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: 'BAD_USER_INPUT', ...(options.traceId ? { traceId: options.traceId } : {}) },
    };
  }
  if (thrown && isDatabaseUnavailable(inner)) {
    options.onUnavailable?.(original);
    return {
      message: 'The database is unavailable right now; retry shortly',
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: 'UPSTREAM_UNAVAILABLE', retryable: true, service: options.service ?? 'database', ...(options.traceId ? { traceId: options.traceId } : {}) },
    };
  }
  options.onInternal?.(original);
  return {
    message: 'Internal server error',
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: 'INTERNAL_SERVER_ERROR', ...(options.traceId ? { traceId: options.traceId } : {}) },
  };
}

// ------------------------------------------------------------------ what a log may say about an error

/** `scheme://user:password@` → `scheme://user:***@` (REDIS_URL, DATABASE_URL, any URL with credentials). */
export function redactUrls(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@/]*):([^\s@/]+)@/gi, '$1$2:***@');
}

const SQL_TEXT = /\b(select|insert\s+into|update|delete\s+from|values|returning)\b/i;

/** True for an error from a database driver (or MikroORM's wrapper of one), whose message carries SQL and bound values. */
export function isDriverError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const e = error as Error & { sqlState?: unknown; code?: unknown; query?: unknown; sql?: unknown; severity?: unknown };
  return (
    typeof e.sqlState === 'string' ||
    (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) ||
    e.query !== undefined ||
    e.sql !== undefined ||
    typeof e.severity === 'string' ||
    /(Driver|Constraint|Violation|Connection|Syntax|Table|Lock|Deadlock)\w*Exception$/.test(e.name) ||
    SQL_TEXT.test(e.message)
  );
}

/**
 * An error as a log line may carry it: for a driver error, its class, SQLSTATE and the names
 * of what it concerns (constraint, table, column), never its message or detail (the SQL with
 * the bound values: message text, emails); for any other error, its message (URLs redacted,
 * at most 500 characters). The stack keeps its frames, without the message line.
 */
export function describeError(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error)) return typeof error === 'string' ? redactUrls(error).slice(0, 500) : error;
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line)).join('\n');
  const cause = depth < 3 && error.cause ? { cause: describeError(error.cause, depth + 1) } : {};
  if (isDriverError(error)) {
    const e = error as Error & Record<string, unknown>;
    const pick = (k: string) => (typeof e[k] === 'string' || typeof e[k] === 'number' ? { [k]: e[k] } : {});
    const sqlState = typeof e.sqlState === 'string' ? e.sqlState : typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined;
    return {
      name: error.name,
      ...(sqlState ? { sqlState } : {}),
      ...pick('code'),
      ...pick('errno'),
      ...pick('constraint'),
      ...pick('table'),
      ...pick('column'),
      ...pick('schema'),
      message: '[driver message withheld: it carries SQL and values]',
      stack: frames,
      ...cause,
    };
  }
  const code = (error as { extensions?: { code?: unknown } }).extensions?.code ?? (error as { code?: unknown }).code;
  return { name: error.name, ...(typeof code === 'string' ? { code } : {}), message: redactUrls(error.message).slice(0, 500), stack: frames, ...cause };
}
