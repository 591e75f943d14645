/**
 * One client thread of `npm run bench:live` (bench/src/live.ts): opens one graphql-ws socket
 * per subscription (`messageAdded(conversationId)`), answers the main thread's questions
 * (which conversations have seen a probe, how many benchmark messages arrived) and at the end
 * reports every delivery's latency (receipt − the send time carried in the message text),
 * per message how many of its subscribers got it, and duplicates.
 *
 * Message texts: `probe:<n>` (readiness probes, not measured) and `bench:<j>:<sendMs>`.
 */
import { createClient, type Client } from 'graphql-ws';
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import WebSocket from 'ws';

export type ToWorker =
  | { type: 'connect'; url: string; authorization: string; conversations: string[]; perConversation: number; concurrency: number; timeoutMs: number }
  | { type: 'status' }
  | { type: 'results' }
  | { type: 'close' };

export type FromWorker =
  | { type: 'connected'; ok: number; failed: number; errors: string[] }
  | { type: 'status'; ready: string[]; received: number; closed: number; subscriptionErrors: number }
  | { type: 'results'; latencies: number[]; perMessage: [number, number][]; duplicates: number; errors: string[] }
  | { type: 'closed' }
  | { type: 'fatal'; error: string };

const QUERY = 'subscription Live($c: ID!) { messageAdded(conversationId: $c) { id text } }';
const now = () => performance.timeOrigin + performance.now();

interface Sub {
  conversationId: string;
  client: Client;
  probed: boolean;
  /** Benchmark message j → times received. */
  seen: Map<number, number>;
}

const subs: Sub[] = [];
const latencies: number[] = [];
const errors: string[] = [];
let received = 0;
let closedUnexpectedly = 0;
let subscriptionErrors = 0;
let closing = false;

function note(error: string) {
  if (errors.length < 20) errors.push(error);
}

function onEvent(sub: Sub, text: string | undefined) {
  const at = now();
  if (!text) return;
  if (text.startsWith('probe:')) {
    sub.probed = true;
    return;
  }
  if (!text.startsWith('bench:')) return;
  const [, j, sent] = text.split(':');
  const id = Number(j);
  const count = (sub.seen.get(id) ?? 0) + 1;
  sub.seen.set(id, count);
  if (count === 1) {
    latencies.push(at - Number(sent));
    received++;
  }
}

/** Opens one socket and subscribes; resolves once the server acknowledged the connection (or it failed). */
function open(url: string, authorization: string, conversationId: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let acked = false;
    const timer = setTimeout(() => settle(new Error(`no connection_ack within ${timeoutMs} ms`)), timeoutMs);
    function settle(error?: Error) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    }
    const client = createClient({
      url,
      webSocketImpl: WebSocket,
      connectionParams: { authorization },
      lazy: true,
      retryAttempts: 0,
      shouldRetry: () => false,
      on: {
        connected: () => {
          acked = true;
          settle();
        },
        closed: (event) => {
          const code = (event as { code?: number } | undefined)?.code;
          if (!settled) settle(new Error(`closed before ack (${code ?? 'no code'})`));
          else if (acked && !closing) {
            closedUnexpectedly++;
            note(`socket closed by the server: ${code ?? 'no code'}`);
          }
        },
        error: (error) => settle(error instanceof Error ? error : new Error(String((error as { message?: string })?.message ?? error))),
      },
    });
    const sub: Sub = { conversationId, client, probed: false, seen: new Map() };
    subs.push(sub);
    client.subscribe<{ messageAdded: { id: string; text: string } | null }>(
      { query: QUERY, variables: { c: conversationId } },
      {
        next: (result) => {
          if (result.errors?.length) {
            subscriptionErrors++;
            note(`result error: ${result.errors[0]?.message}`);
          }
          onEvent(sub, result.data?.messageAdded?.text);
        },
        error: (error) => {
          subscriptionErrors++;
          note(`subscription error: ${JSON.stringify(error).slice(0, 200)}`);
        },
        complete: () => {},
      },
    );
  });
}

async function connect(msg: Extract<ToWorker, { type: 'connect' }>): Promise<FromWorker> {
  const jobs: string[] = [];
  for (const c of msg.conversations) for (let i = 0; i < msg.perConversation; i++) jobs.push(c);
  let ok = 0;
  let failed = 0;
  let next = 0;
  const lane = async () => {
    while (next < jobs.length) {
      const c = jobs[next++]!;
      try {
        await open(msg.url, msg.authorization, c, msg.timeoutMs);
        ok++;
      } catch (error) {
        failed++;
        note(`connect: ${(error as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, msg.concurrency) }, lane));
  return { type: 'connected', ok, failed, errors: errors.slice() };
}

function status(): FromWorker {
  const byConversation = new Map<string, boolean>();
  for (const s of subs) byConversation.set(s.conversationId, (byConversation.get(s.conversationId) ?? true) && s.probed);
  const ready = [...byConversation].filter(([, r]) => r).map(([c]) => c);
  return { type: 'status', ready, received, closed: closedUnexpectedly, subscriptionErrors };
}

function results(): FromWorker {
  const perMessage = new Map<number, number>();
  let duplicates = 0;
  for (const s of subs) {
    for (const [j, count] of s.seen) {
      perMessage.set(j, (perMessage.get(j) ?? 0) + 1);
      duplicates += count - 1;
    }
  }
  return { type: 'results', latencies, perMessage: [...perMessage], duplicates, errors: errors.slice() };
}

async function close(): Promise<FromWorker> {
  closing = true;
  await Promise.race([Promise.allSettled(subs.map((s) => s.client.dispose())), new Promise((r) => setTimeout(r, 10_000))]);
  return { type: 'closed' };
}

parentPort!.on('message', (msg: ToWorker) => {
  const reply = (answer: FromWorker | Promise<FromWorker>) =>
    Promise.resolve(answer).then(
      (a) => parentPort!.postMessage(a),
      (error: unknown) => parentPort!.postMessage({ type: 'fatal', error: String((error as Error)?.stack ?? error) } satisfies FromWorker),
    );
  if (msg.type === 'connect') void reply(connect(msg));
  else if (msg.type === 'status') void reply(status());
  else if (msg.type === 'results') void reply(results());
  else void reply(close());
});
