import { signIdentity, type Identity } from '@switchboard/kit';
import autocannon from 'autocannon';
import http from 'node:http';

export interface Measurement {
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  requests: number;
  errors: number;
}

/**
 * One caller of the load: headers sent as they are (a JWT), plus identity headers signed
 * anew for every request (what a gateway would forward: its own audience, a fresh
 * request id and one-time id each time), so no caller's request is a copy of another's.
 */
export interface Caller {
  headers: Record<string, string>;
  sign?: { header: string; identity: Omit<Identity, 'exp' | 'jti'> }[];
}

/** The callers of one load, used round-robin, and the secret their identity headers are signed with. */
export interface Callers {
  callers: Caller[];
  secret: string;
}

/** The headers of the next request from `caller`. */
export function headersOf(caller: Caller, secret: string): Record<string, string> {
  const out: Record<string, string> = { 'content-type': 'application/json', ...caller.headers };
  for (const s of caller.sign ?? []) out[s.header] = signIdentity(s.identity, secret, 60);
  return out;
}

/** The p-th percentile of an ascending list (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summary(latencies: number[], seconds: number, errors: number): Measurement {
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / seconds, p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99), requests: latencies.length, errors };
}

/**
 * Drives `body` at `url` for `seconds` with `connections` open connections, each request
 * from the next caller in turn, and reports requests/s and latency percentiles in
 * milliseconds (p95 from every response time, which autocannon's own summary does not
 * give). Non-2xx answers count as errors: a fast wrong answer is not a result.
 */
export async function measure(url: string, load: Callers, body: string, options: { connections: number; seconds: number }): Promise<Measurement> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        method: 'POST',
        body,
        connections: options.connections,
        duration: options.seconds,
        requests: [
          {
            setupRequest: (req: autocannon.Request) => ({ ...req, method: 'POST', body, headers: headersOf(load.callers[next++ % load.callers.length]!, load.secret) }),
          },
        ],
      },
      (error, res) => (error ? reject(error) : resolve(res)),
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      latencies.push(responseTime);
      if (statusCode !== 200) errors++;
    });
  });
  return summary(latencies, options.seconds, errors + result.errors + result.timeouts);
}

/**
 * One step of a sequence: a POST of `query` to `url`. With `entities`, the variables are
 * `{ representations }` collected from an earlier step's answer: the objects at `path`
 * (`@` walks a list), each reduced to the `fields` the entity fetch requires — what
 * @apollo/gateway's executor sends (one representation per object, in order, no dedup).
 */
export interface Step {
  url: string;
  query: string;
  variables?: Record<string, unknown>;
  /** The caller's signed headers for this audience go with this step; without one, all of the caller's (a gateway: ours takes the JWT, Hive the forwarded headers). */
  audience?: string;
  entities?: { from: number; path: string[]; fields: string[] };
}

/** A step's variables: with `entities`, the representations taken from the earlier answer it names. */
export function stepVariables(step: Step, answers: unknown[]): Record<string, unknown> {
  const variables = step.variables ?? {};
  if (!step.entities) return variables;
  const found: unknown[] = [];
  collect((answers[step.entities.from] as { data?: unknown }).data, step.entities.path, found);
  const fields = step.entities.fields;
  return { ...variables, representations: found.map((o) => Object.fromEntries(fields.map((f) => [f, (o as Record<string, unknown>)[f]]))) };
}

function collect(value: unknown, path: string[], out: unknown[]): void {
  if (value == null) return;
  if (!path.length) {
    out.push(value);
    return;
  }
  const [head, ...rest] = path;
  if (head === '@') for (const item of value as unknown[]) collect(item, rest, out);
  else collect((value as Record<string, unknown>)[head!], rest, out);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function post(url: string, headers: Record<string, string>, body: string): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        } catch (error) {
          reject(error as Error);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * One connection, no concurrency: runs the steps in order, again and again for `seconds`,
 * each round from the next caller (with its headers signed for the step's audience), and reports the latency of whole rounds. Our gateway at one
 * connection is timed with the same client (one step), so the comparison is like for like.
 */
export async function measureSequence(steps: Step[], load: Callers, seconds: number): Promise<Measurement> {
  const latencies: number[] = [];
  let errors = 0;
  const until = Date.now() + seconds * 1000;
  for (let i = 0; Date.now() < until; i++) {
    const caller = load.callers[i % load.callers.length]!;
    const started = performance.now();
    const answers: unknown[] = [];
    for (const step of steps) {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...caller.headers };
      // A subgraph step gets the identity for its audience; a gateway step (no audience) all of them, one header per subgraph.
      for (const s of caller.sign ?? []) if (step.audience === undefined || s.identity.audience === step.audience) headers[s.header] = signIdentity(s.identity, load.secret, 60);
      const { status, json } = await post(step.url, headers, JSON.stringify({ query: step.query, variables: stepVariables(step, answers) }));
      if (status !== 200 || (json as { errors?: unknown }).errors) errors++;
      answers.push(json);
    }
    latencies.push(performance.now() - started);
  }
  return summary(latencies, seconds, errors);
}

/** One request, checked: the benchmark refuses to time a query that does not answer correctly. */
export async function check(url: string, load: Callers, body: string): Promise<void> {
  for (const caller of [load.callers[0]!, load.callers.at(-1)!]) {
    const res = await fetch(url, { method: 'POST', headers: headersOf(caller, load.secret), body });
    const json = (await res.json()) as { data?: unknown; errors?: unknown[] };
    if (res.status !== 200 || json.errors || !json.data) throw new Error(`${url} answered ${res.status}: ${JSON.stringify(json).slice(0, 300)}`);
  }
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
