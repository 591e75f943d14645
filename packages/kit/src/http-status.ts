import type { GraphQLError } from 'graphql';
import type { ErrorCode } from './errors';

/**
 * The HTTP status of a request refused as a whole, by the code of its error: one table, so
 * no refusal stamps a status by hand. `null`: the code belongs to a field error inside a 200
 * answer (GraphQL over HTTP), never to a whole-request refusal by itself. A new code in
 * ERROR_CODES does not type-check until it has a row here.
 * The gateway's refusals (plugins, authentication, login throttle) go through
 * `refuseRequest` / `httpStatusFor` too.
 */
export const HTTP_STATUS: Record<ErrorCode, number | null> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: null,
  BAD_USER_INPUT: 400,
  CONFLICT: null,
  INVALID_TRANSITION: null,
  RATE_LIMITED: 429,
  BLOCKED: 403,
  QUOTA_EXCEEDED: null,
  OPERATION_TOO_COMPLEX: 400,
  UPSTREAM_UNAVAILABLE: 503,
  INTERNAL_SERVER_ERROR: 500,
  GRAPHQL_PARSE_FAILED: 400,
  GRAPHQL_VALIDATION_FAILED: 400,
  BAD_REQUEST: 400,
  PERSISTED_QUERY_NOT_FOUND: 200,
  PERSISTED_QUERY_NOT_IN_LIST: 400,
  PERSISTED_QUERY_ID_REQUIRED: 400,
};

/** The status for a whole-request refusal with this code (`fallback` for codes the table leaves to the answer). */
export function httpStatusFor(code: unknown, fallback = 400): number {
  const status = typeof code === 'string' && Object.prototype.hasOwnProperty.call(HTTP_STATUS, code) ? HTTP_STATUS[code as ErrorCode] : undefined;
  return status ?? fallback;
}

/**
 * Marks an error as refusing the whole request, with the status its code has in the table
 * (Apollo Server reads `extensions.http.status`). Use instead of stamping a number.
 */
export function refuseRequest<E extends GraphQLError>(error: E): E {
  (error.extensions as Record<string, unknown>).http = { status: httpStatusFor(error.extensions.code) };
  return error;
}
