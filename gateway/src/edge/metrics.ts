import type { Metrics } from '@switchboard/kit';

/**
 * A Prometheus counter registered in the kit's registry (so it shows on /metrics with the
 * service label), written against the registry's metric interface: the gateway does not
 * depend on prom-client itself.
 */
export class EdgeCounter<L extends string = never> {
  readonly type = 'counter';
  readonly aggregator = 'sum';
  private readonly values = new Map<string, { labels: Partial<Record<L, string>>; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    metrics: Metrics,
  ) {
    metrics.registry.registerMetric(this as never);
  }

  inc(labels: Partial<Record<L, string>> = {}): void {
    const key = JSON.stringify(labels);
    const entry = this.values.get(key) ?? { labels, value: 0 };
    entry.value += 1;
    this.values.set(key, entry);
  }

  /** What prom-client's registry reads. */
  async get() {
    const values = this.values.size ? [...this.values.values()].map((v) => ({ labels: v.labels, value: v.value })) : [{ labels: {}, value: 0 }];
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.values.clear();
  }
}

/** Counts into several counters at once (a stable name and its deprecated alias). */
class Tee<L extends string> {
  constructor(private readonly counters: EdgeCounter<L>[]) {}
  inc(labels: Partial<Record<L, string>> = {}): void {
    for (const c of this.counters) c.inc(labels);
  }
}

export function edgeMetrics(metrics: Metrics) {
  return {
    rateLimitFailOpen: new EdgeCounter('gateway_rate_limit_fail_open_total', 'Requests let through because the rate-limit store (Redis) did not answer', metrics),
    // `rate_limited_total{bucket}` is the stable name (docs/operations.md); `gateway_rate_limited_total`
    // is the earlier one, kept with the same values until dashboards outside this repository move.
    rateLimited: new Tee<'bucket'>([
      new EdgeCounter<'bucket'>('rate_limited_total', 'Requests and live operations refused with RATE_LIMITED, by bucket', metrics),
      new EdgeCounter<'bucket'>('gateway_rate_limited_total', 'Deprecated alias of rate_limited_total', metrics),
    ]),
    redisErrors: new EdgeCounter<'use'>('gateway_redis_errors_total', 'Redis commands that failed, by use (apq, ratelimit, penalties)', metrics),
    principalStale: new EdgeCounter('gateway_principal_stale_total', 'Requests authenticated with the last principal tenants gave, because tenants could not be asked', metrics),
    blocked: new EdgeCounter<'subject'>('gateway_clients_blocked_total', 'Clients blocked by threat detection, by subject (ip, apiKey, user)', metrics),
  };
}
