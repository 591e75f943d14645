import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
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

/**
 * Runs `fn` outside any request: no request scope, and none of MikroORM's transaction
 * context. Background work started from inside a request (the outbox relay, in-process
 * event delivery) must not inherit the request's identity or its open transaction.
 */
export const runDetached: <T>(fn: () => T) => T = AsyncResource.bind(<T>(fn: () => T): T => fn());
