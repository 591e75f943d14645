import { currentScope } from './context';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof LEVELS;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  return { name: error.name, message: error.message, stack: error.stack, ...(error.cause ? { cause: serializeError(error.cause) } : {}) };
}

/**
 * Structured JSON logs, one object per line, carrying the request id, trace id, tenant
 * id and operation name of the request in scope.
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
    const entry: Record<string, unknown> = { level: lvl, time: new Date().toISOString(), ...base, msg };
    if (scope) {
      entry.requestId = scope.requestId;
      entry.traceId = scope.trace.traceId;
      if (scope.identity?.tenantId) entry.tenantId = scope.identity.tenantId;
      if (scope.operationName) entry.operationName = scope.operationName;
    }
    for (const [k, v] of Object.entries(fields)) entry[k] = k === 'error' || v instanceof Error ? serializeError(v) : v;
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
