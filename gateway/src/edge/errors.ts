import { AppError, httpStatusFor, isErrorCode, type ErrorCode, type Logger, type Metrics } from '@switchboard/kit';
import type { Response } from 'express';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';

export type FormatError = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

/**
 * Apollo reports every validation-rule error as GRAPHQL_VALIDATION_FAILED, keeping the
 * rule's error as `originalError`. A rule of ours (the operation limits) puts its own code on
 * that error; this restores it before the kit's masking runs.
 */
export function restoreEdgeCode(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  if (!(error instanceof GraphQLError)) return formatted;
  if (isCodelessRequestError(error)) return { ...formatted, extensions: { ...formatted.extensions, code: 'BAD_REQUEST' } };
  if (formatted.extensions?.code !== 'GRAPHQL_VALIDATION_FAILED') return formatted;
  const origin = error.originalError;
  const code = origin instanceof GraphQLError ? origin.extensions.code : undefined;
  if (!isErrorCode(code) || code === 'GRAPHQL_VALIDATION_FAILED') return formatted;
  return { ...formatted, extensions: { ...formatted.extensions, code } };
}

/**
 * Apollo refuses a few requests with a 4xx status but no code ("provided sha does not match
 * query", "Unsupported persisted query version"); they are the client's fault, so BAD_REQUEST
 * rather than a masked INTERNAL_SERVER_ERROR.
 */
function isCodelessRequestError(error: GraphQLError): boolean {
  const status = (error.extensions.http as { status?: number } | undefined)?.status;
  return error.extensions.code === undefined && !error.originalError && typeof status === 'number' && status >= 400 && status < 500;
}

/** An error the edge answers before GraphQL runs, with its HTTP status. */
export function edgeError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): AppError {
  return new AppError(code, message, extensions);
}

/**
 * Sends a whole-request refusal the way Apollo sends its own: `{ "errors": [...] }` as JSON,
 * formatted (masked) by the same formatError, counted in the same metrics and logged.
 */
export function createResponder(options: { formatError: FormatError; metrics: Metrics; logger: Logger }) {
  /**
   * `status`: the HTTP status — `'code'` takes it from the kit's table by the error's code
   * (the rule); a number only for transport refusals the table cannot know (405, 413, 415).
   */
  return function refuse(res: Response, status: number | 'code', error: GraphQLError, headers: Record<string, string> = {}): void {
    if (status === 'code') status = httpStatusFor(error.extensions.code);
    const formatted = options.formatError(
      { message: error.message, extensions: { ...error.extensions } },
      error,
    );
    const code = String(formatted.extensions?.code ?? 'UNKNOWN');
    options.metrics.errors.inc({ code });
    options.logger.info('request refused', { status, errorCodes: [code] });
    if (res.headersSent) return;
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.status(status).type('application/json').send(JSON.stringify({ errors: [formatted] }));
  };
}

export type Refuse = ReturnType<typeof createResponder>;
