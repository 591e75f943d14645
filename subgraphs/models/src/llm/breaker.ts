/**
 * A circuit breaker per model, shared by every request of this process. After `threshold`
 * consecutive failures it opens: the model is skipped without a call. After `cooldownMs`
 * one request may probe it (HALF_OPEN); a success closes it, a failure opens it again.
 */
export type BreakerState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

export interface BreakerHealth {
  state: BreakerState;
  consecutiveFailures: number;
  lastError: string | null;
}

interface Entry {
  failures: number;
  openedAt: number | null;
  probing: boolean;
  lastError: string | null;
}

export class CircuitBreakers {
  private readonly entries = new Map<string, Entry>();
  constructor(private readonly options: { threshold: number; cooldownMs: number; now: () => number }) {}

  private entry(id: string): Entry {
    let e = this.entries.get(id);
    if (!e) this.entries.set(id, (e = { failures: 0, openedAt: null, probing: false, lastError: null }));
    return e;
  }

  health(id: string): BreakerHealth {
    const e = this.entries.get(id);
    if (!e) return { state: 'CLOSED', consecutiveFailures: 0, lastError: null };
    return { state: this.state(e), consecutiveFailures: e.failures, lastError: e.lastError };
  }

  private state(e: Entry): BreakerState {
    if (e.openedAt === null) return 'CLOSED';
    return this.options.now() - e.openedAt >= this.options.cooldownMs ? 'HALF_OPEN' : 'OPEN';
  }

  /** May a call go to this model now? Taking the HALF_OPEN probe slot is part of asking. */
  tryAcquire(id: string): boolean {
    const e = this.entry(id);
    const state = this.state(e);
    if (state === 'CLOSED') return true;
    if (state === 'OPEN' || e.probing) return false;
    e.probing = true;
    return true;
  }

  /** Would a call be allowed (without taking the probe slot)? For simulateRouting. */
  isAvailable(id: string): boolean {
    const e = this.entries.get(id);
    if (!e) return true;
    const state = this.state(e);
    return state === 'CLOSED' || (state === 'HALF_OPEN' && !e.probing);
  }

  success(id: string): void {
    const e = this.entry(id);
    e.failures = 0;
    e.openedAt = null;
    e.probing = false;
  }

  failure(id: string, error: string): void {
    const e = this.entry(id);
    e.failures += 1;
    e.lastError = error;
    if (e.probing || e.failures >= this.options.threshold) e.openedAt = this.options.now();
    e.probing = false;
  }
}
