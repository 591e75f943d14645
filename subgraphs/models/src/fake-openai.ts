import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small OpenAI-compatible HTTP server for tests and `npm run bench:ai` (never a real
 * API): /v1/chat/completions and /v1/embeddings in OpenAI's JSON shape, with per-model
 * behaviour (status, Retry-After, delay, hang, text, reported usage) and every request
 * recorded (path, headers, body).
 */
export interface FakeBehaviour {
  status?: number;
  retryAfter?: string;
  /** Answer after this many ms. */
  delayMs?: number;
  /** Never answer (until the client gives up). */
  hang?: boolean;
  /** The answer; default: "You said: <last user message>". */
  text?: string | ((body: ChatBody) => string);
  /** The usage it reports; default: 10 prompt tokens per message, 5 completion tokens. */
  usage?: { prompt_tokens: number; completion_tokens: number } | ((body: ChatBody, text: string) => { prompt_tokens: number; completion_tokens: number });
}

export interface ChatBody {
  model: string;
  messages: { role: string; content: string }[];
  max_tokens?: number;
  temperature?: number;
}

export interface RecordedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
}

export interface FakeOpenAI {
  /** The base URL to give a provider (…/v1). */
  url: string;
  requests: RecordedRequest[];
  /** Requests for one model. */
  calls(model: string): RecordedRequest[];
  /** How `model` answers from now on; a list is used once each, then the last one stays. */
  behave(model: string, ...behaviours: FakeBehaviour[]): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const behaviours = new Map<string, FakeBehaviour[]>();
  const requests: RecordedRequest[] = [];
  const hanging = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: any = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {
        /* recorded as {} */
      }
      const path = (req.url ?? '').split('?')[0]!;
      requests.push({ path, headers: req.headers, body });
      const queue = behaviours.get(body.model) ?? [];
      const b: FakeBehaviour = (queue.length > 1 ? queue.shift() : queue[0]) ?? {};
      if (b.hang) {
        const end = () => res.destroy();
        hanging.add(end);
        res.on('close', () => hanging.delete(end));
        return;
      }
      const send = () => {
        if (b.status && b.status !== 200) {
          res.writeHead(b.status, { 'content-type': 'application/json', ...(b.retryAfter !== undefined ? { 'retry-after': b.retryAfter } : {}) });
          res.end(JSON.stringify({ error: { message: `fake ${b.status}`, type: 'fake', code: String(b.status) } }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        if (path.endsWith('/embeddings')) {
          const input: string[] = Array.isArray(body.input) ? body.input : [body.input];
          res.end(JSON.stringify({
            object: 'list',
            model: body.model,
            data: input.map((text, index) => ({ object: 'embedding', index, embedding: [text.length, index, 1] })),
            usage: { prompt_tokens: input.length * 4, total_tokens: input.length * 4 },
          }));
          return;
        }
        const messages: ChatBody['messages'] = body.messages ?? [];
        const last = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
        const text = typeof b.text === 'function' ? b.text(body) : (b.text ?? `You said: ${last}`);
        const usage = typeof b.usage === 'function' ? b.usage(body, text) : (b.usage ?? { prompt_tokens: 10 * messages.length, completion_tokens: 5 });
        res.end(JSON.stringify({
          id: `chatcmpl-${requests.length}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
          usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
        }));
      };
      if (b.delayMs) setTimeout(send, b.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    calls: (model) => requests.filter((r) => r.body?.model === model),
    behave(model, ...list) {
      behaviours.set(model, list);
    },
    reset() {
      behaviours.clear();
      requests.length = 0;
    },
    async close() {
      for (const end of hanging) end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
