import type { ExecutionResult } from 'graphql';

/** What a subscriber needs of its socket: the count of results queued on it, and how to give up on it. */
export interface SubscriberSocket {
  /** Results queued on this socket and not yet handed to graphql-ws. */
  queued: number;
  /** Called when `queued` passes the bound: the socket is too slow. */
  overflow(): void;
}

/**
 * One subscription's results on its way to graphql-ws: an async generator by hand, so that
 * `return()` cleans up even before the first `next()`. Counts toward its socket's bound.
 */
export class Subscriber {
  private readonly queue: ExecutionResult[] = [];
  private waiting: ((result: IteratorResult<ExecutionResult>) => void) | undefined;
  private handedOut = false;
  /** Pushed and not yet confirmed sent (graphql-ws asks for the next only after sending). */
  unsent = 0;
  done = false;

  constructor(
    private readonly socket: SubscriberSocket,
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
    this.socket.queued += 1;
    if (this.socket.queued > this.queueLimit) this.socket.overflow();
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.handedOut) {
      this.handedOut = false;
      this.unsent -= 1;
    }
    const value = this.queue.shift();
    if (value) {
      this.socket.queued -= 1;
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
    this.socket.queued -= this.queue.length;
    this.queue.length = 0;
    this.unsent = 0;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.({ value: undefined, done: true });
    this.onDone(this);
  }
}
