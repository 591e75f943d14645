import autocannon from 'autocannon';

export interface Measurement {
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  requests: number;
  errors: number;
}

/** The p-th percentile of an ascending list (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Drives `body` at `url` for `seconds` with `connections` open connections and reports
 * requests/s and latency percentiles in milliseconds (p95 from every response time, which
 * autocannon's own summary does not give). Non-2xx answers and bodies with `errors` count
 * as errors: a fast wrong answer is not a result.
 */
export async function measure(url: string, headers: Record<string, string>, body: string, options: { connections: number; seconds: number }): Promise<Measurement> {
  const latencies: number[] = [];
  let errors = 0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
        connections: options.connections,
        duration: options.seconds,
      },
      (error, res) => (error ? reject(error) : resolve(res)),
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      latencies.push(responseTime);
      if (statusCode !== 200) errors++;
    });
  });
  latencies.sort((a, b) => a - b);
  return {
    rps: latencies.length / options.seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    requests: latencies.length,
    errors: errors + result.errors + result.timeouts,
  };
}

/** One request, checked: the benchmark refuses to time a query that does not answer correctly. */
export async function check(url: string, headers: Record<string, string>, body: string): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const json = (await res.json()) as { data?: unknown; errors?: unknown[] };
  if (res.status !== 200 || json.errors || !json.data) throw new Error(`${url} answered ${res.status}: ${JSON.stringify(json).slice(0, 300)}`);
}

/**
 * `n` draws from `items`, the i-th weighted 1/(i+1) (Zipf-like: a few asked often, many
 * rarely), from a fixed-seed generator: the same list on every run.
 */
export function zipfDraw<T>(items: readonly T[], n: number, seed: number): T[] {
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const weights = items.map((_, i) => 1 / (i + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  return Array.from({ length: n }, () => {
    let r = rand() * total;
    let k = 0;
    while (k < weights.length - 1 && (r -= weights[k]!) > 0) k++;
    return items[k]!;
  });
}
