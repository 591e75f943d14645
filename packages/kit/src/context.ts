import { AsyncLocalStorage } from 'node:async_hooks';
import type { Identity, TraceContext } from './identity';

/** What is known about the request being served, wherever we are in its async call tree. */
export interface RequestScope {
  requestId: string;
  trace: TraceContext;
  identity?: Identity;
  operationName?: string;
  /** SQL statements this request has sent (counted by the ORM's logger). */
  sqlStatements?: number;
}

const storage = new AsyncLocalStorage<RequestScope>();

export function runInScope<T>(scope: RequestScope, fn: () => T): T {
  return storage.run(scope, fn);
}

export function currentScope(): RequestScope | undefined {
  return storage.getStore();
}
