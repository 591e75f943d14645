import { currentScope } from './context';
import { describeError, redactUrls } from './errors';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof LEVELS;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/** Strings with URL credentials redacted, deep (a few levels); errors as `describeError` allows. */
function safe(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactUrls(value);
  if (value instanceof Error) return describeError(value);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => safe(v, depth + 1));
  if (value instanceof Date) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, safe(v, depth + 1)]));
}

/**
 * Structured JSON logs, one object per line, carrying the request id, trace id, tenant
 * id and operation name of the request in scope. Nothing secret reaches a line: URL
 * credentials are redacted in every string, and an error is logged with its class, code and
 * SQLSTATE — a driver's message (the SQL with its bound values) never (errors.ts describeError).
 */
export function createLogger(
  base: Record<string, unknown>,
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stdout.write(line),
): Logger {
  const threshold = LEVELS[level];
  const log = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields: Record<string, unknown> = {}) => {
    if (LEVELS[lvl] < threshold) return;
    const scope = currentScope();
    const entry: Record<string, unknown> = { level: lvl, time: new Date().toISOString(), ...base, msg: redactUrls(msg) };
    if (scope) {
      entry.requestId = scope.requestId;
      entry.traceId = scope.trace.traceId;
      if (scope.identity?.tenantId) entry.tenantId = scope.identity.tenantId;
      if (scope.operationName) entry.operationName = scope.operationName;
    }
    // Every field: an error as describeError allows (no driver message: SQL and values), URL
    // credentials redacted wherever they appear (REDIS_URL, DATABASE_URL).
    for (const [k, v] of Object.entries(fields)) entry[k] = safe(v);
    write(`${JSON.stringify(entry)}\n`);
  };
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    child: (fields) => createLogger({ ...base, ...fields }, level, write),
  };
}
