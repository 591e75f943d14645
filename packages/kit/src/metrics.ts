import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** One registry per service, so services sharing a process still report separately. */
export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: 'graphql_requests_total',
      help: 'GraphQL requests by operation name',
      labelNames: ['operation'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'graphql_request_duration_seconds',
      help: 'GraphQL request latency by operation name',
      labelNames: ['operation'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    errors: new Counter({
      name: 'graphql_errors_total',
      help: 'GraphQL errors by extensions.code',
      labelNames: ['code'],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Latency buckets (seconds) shared by the request and fetch histograms, so dashboards compare them. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** A histogram in a service's registry (for workspaces that do not depend on prom-client themselves). */
export function metricHistogram<L extends string>(metrics: Metrics, name: string, help: string, labelNames: readonly L[], buckets = LATENCY_BUCKETS): { observe(labels: Partial<Record<L, string>>, value: number): void } {
  const existing = metrics.registry.getSingleMetric(name) as Histogram<L> | undefined;
  const histogram = existing ?? new Histogram<L>({ name, help, labelNames: [...labelNames], buckets, registers: [metrics.registry] });
  return { observe: (labels, value) => histogram.observe(labels as never, value) };
}

/** A gauge read when /metrics is scraped (`read` answers the current value). */
export function metricGauge(metrics: Metrics, name: string, help: string, read: () => number): void {
  if (metrics.registry.getSingleMetric(name)) metrics.registry.removeSingleMetric(name);
  new Gauge({
    name,
    help,
    registers: [metrics.registry],
    collect() {
      this.set(read());
    },
  });
}

/** How many client-chosen operation names become labels before the rest count as `other`. */
export const DEFAULT_MAX_OPERATION_LABELS = 100;

/**
 * The `operation` label for a request: `anonymous` without a name; a known name (the
 * safelist) as it is; the first `max` other names that look like GraphQL names (at most 64
 * characters); everything after them `other`. Bounded on purpose: a series once exported
 * stays, so an LRU would not shrink /metrics — a fixed budget does.
 */
export function operationLabels(known: Iterable<string>, max = DEFAULT_MAX_OPERATION_LABELS): (name: string | null | undefined) => string {
  const always = new Set(known);
  const seen = new Set<string>();
  return (name) => {
    if (!name) return 'anonymous';
    if (always.has(name) || seen.has(name)) return name;
    if (seen.size < max && /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name) && name !== 'other' && name !== 'anonymous') {
      seen.add(name);
      return name;
    }
    return 'other';
  };
}
