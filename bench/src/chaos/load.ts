/**
 * The steady mixed load of `npm run chaos`, through the gateway as one tenant's OWNER:
 * reads, writes (sendMessage with an idempotency key, retried with the same key until
 * accepted; createTicket and escalateToTicket, never retried), `complete` on the models
 * subgraph, a probe that reaches every subgraph (for partial data and recovery), and a live
 * `messageAdded` subscriber that, like a client following docs/api.md, catches up with a
 * query whenever its socket or subscription had to be opened again.
 */
import { randomUUID } from 'node:crypto';
import { buildSchema, GraphQLEnumType, GraphQLNonNull, isLeafType, getNamedType, type GraphQLField } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { EventRecord, Outcome, Phase, ProbeAnswer, RequestRecord, WriteRecord } from './ledger';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Answer {
  status: number;
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  /** Set when no GraphQL answer arrived. */
  transport?: string;
}

export async function gql(url: string, headers: Record<string, string>, query: string, variables: Record<string, unknown> = {}, timeoutMs = 15_000): Promise<Answer> {
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }), signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    try {
      return { status: res.status, ...(JSON.parse(text) as Omit<Answer, 'status'>) };
    } catch {
      return { status: res.status, transport: `HTTP_${res.status}` };
    }
  } catch (error) {
    return { status: 0, transport: (error as Error).name === 'TimeoutError' ? 'CLIENT_TIMEOUT' : 'NETWORK' };
  }
}

export function codesOf(a: Answer): string[] {
  if (a.transport) return [a.transport];
  const codes = (a.errors ?? []).map((e) => String(e.extensions?.code ?? 'UNKNOWN'));
  if (!codes.length && a.status !== 200) codes.push(`HTTP_${a.status}`);
  return codes;
}

export const isOk = (a: Answer) => a.status === 200 && !a.transport && !a.errors?.length && !!a.data;

/** Where the run is: every record is labelled with the fault whose window it started in. */
export interface Clock {
  fault: string;
  phase: Phase;
}

export interface ProbeField {
  subgraph: string;
  field: string;
  selection: string;
}

/**
 * One root field per subgraph for the probe, from the supergraph: the first Query field the
 * subgraph owns that takes no required argument, nullable ones first (a non-null field of a
 * subgraph that is down would wipe the whole answer). New subgraphs join by themselves.
 */
export function probeCandidates(supergraphSdl: string): ProbeField[][] {
  const schema = buildSchema(supergraphSdl);
  const graphs = new Map<string, string>();
  const graphEnum = schema.getType('join__Graph');
  for (const v of graphEnum instanceof GraphQLEnumType ? graphEnum.getValues() : []) {
    const arg = v.astNode?.directives?.find((d) => d.name.value === 'join__graph')?.arguments?.find((a) => a.name.value === 'name')?.value;
    if (arg?.kind === 'StringValue') graphs.set(v.name, arg.value);
  }
  const bySubgraph = new Map<string, { f: GraphQLField<unknown, unknown>; nullable: boolean }[]>();
  for (const f of Object.values(schema.getQueryType()!.getFields())) {
    const join = f.astNode?.directives?.find((d) => d.name.value === 'join__field');
    const graph = join?.arguments?.find((a) => a.name.value === 'graph')?.value;
    const subgraph = graph && graph.kind === 'EnumValue' ? graphs.get(graph.value) : undefined;
    if (!subgraph) continue;
    if (f.args.some((a) => a.type instanceof GraphQLNonNull && a.defaultValue === undefined)) continue;
    const list = bySubgraph.get(subgraph) ?? [];
    list.push({ f, nullable: !(f.type instanceof GraphQLNonNull) });
    bySubgraph.set(subgraph, list);
  }
  return [...bySubgraph.entries()].map(([subgraph, fields]) =>
    fields
      .sort((a, b) => Number(b.nullable) - Number(a.nullable))
      .map(({ f }) => ({ subgraph, field: f.name, selection: isLeafType(getNamedType(f.type)) ? '' : '{ __typename }' })),
  );
}

export const probeQuery = (fields: ProbeField[]) => `query ChaosProbe { ${fields.map((p) => `${p.subgraph.replace(/[^A-Za-z0-9]/g, '_')}: ${p.field} ${p.selection}`).join(' ')} }`;

/** Which subgraphs' probe fields came back with data. */
export function probeAnswered(fields: ProbeField[], a: Answer): string[] {
  const data = a.data ?? {};
  return fields.filter((p) => data[p.subgraph.replace(/[^A-Za-z0-9]/g, '_')] != null).map((p) => p.subgraph);
}

export const READS: { op: string; query: string; variables?: (ctx: Pick<LoadContext, 'liveConversation' | 'escalationConversation'>) => Record<string, unknown> }[] = [
  { op: 'me', query: 'query ChaosMe { me { email openTicketCount } }' },
  { op: 'tickets', query: 'query ChaosTickets { tickets(first: 10) { totalCount nodes { id number subject status assignee { name } } } }' },
  { op: 'conversations', query: 'query ChaosConversations { conversations(first: 5) { nodes { id status unreadCount } } }' },
  { op: 'conversation', query: 'query ChaosConversation($id: ID!) { conversation(id: $id) { id status messages(last: 5) { nodes { id text } } tickets { id number } } }', variables: (ctx) => ({ id: ctx.escalationConversation }) },
];

export interface LoadContext {
  url: string;
  headers: Record<string, string>;
  /** The conversation the live subscriber follows; every sendMessage goes there. */
  liveConversation: string;
  /** The conversation escalations are made from (its system messages stay out of the subscriber's). */
  escalationConversation: string;
  /** The models the `complete` calls route over: the first answers unless it is slow. */
  primaryModel: string;
}

export interface LoadOptions {
  readers: number;
  /** Pause of each loop between its requests, ms. */
  pauseMs: number;
  /** How long a sendMessage is retried (same key) before its outcome is left unknown, ms. */
  retryForMs: number;
  probe: ProbeField[];
}

/** The recorded run. */
export class Load {
  readonly requests: RequestRecord[] = [];
  readonly writes: WriteRecord[] = [];
  readonly events: EventRecord[] = [];
  readonly probes: (ProbeAnswer & { fault: string; phase: Phase })[] = [];
  /** `complete` calls that waited on no slow attempt (no TIMEOUT): the slow-provider fault's recovery. */
  readonly modelClean: RequestRecord[] = [];
  /** `complete` calls answered by the primary model in one attempt (its circuit breaker closed again). */
  readonly modelFull: RequestRecord[] = [];
  readonly attempts = new Map<string, number>();
  private running = true;
  private loops: Promise<void>[] = [];
  private seq = 0;
  private subscriber?: Client;
  private readonly byKey = new Map<string, EventRecord>();
  private catchUps = 0;
  resubscribes = 0;
  /** Live results that carried errors instead of the message, and their codes. */
  errorResults = 0;
  readonly errorCodes = new Map<string, number>();

  constructor(private readonly ctx: LoadContext, private readonly clock: Clock, private readonly options: LoadOptions) {}

  private record(op: string, kind: RequestRecord['kind'], start: number, a: Answer): RequestRecord {
    const r: RequestRecord = { op, kind, fault: this.clock.fault, phase: this.clock.phase, start, end: Date.now(), ok: isOk(a), partial: !!a.data && Object.values(a.data).some((v) => v != null) && !!a.errors?.length, codes: codesOf(a) };
    this.requests.push(r);
    return r;
  }

  private call(query: string, variables: Record<string, unknown> = {}) {
    return gql(this.ctx.url, this.ctx.headers, query, variables);
  }

  /** Opens the live subscription and waits until it hears a message (sent by this, not counted). */
  async subscribeAndWait(timeoutMs = 60_000): Promise<void> {
    this.subscribe();
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; Date.now() < deadline; i++) {
      const key = `ready-${randomUUID()}`;
      this.readyKeys.add(key);
      await this.call('mutation ChaosReady($input: SendMessageInput!) { sendMessage(input: $input) { created } }', { input: { conversationId: this.ctx.liveConversation, text: key, idempotencyKey: key } });
      for (let j = 0; j < 10; j++) {
        if (this.heardReady) return;
        await sleep(100);
      }
    }
    throw new Error('the live subscriber heard nothing within its time');
  }

  private readonly readyKeys = new Set<string>();
  private heardReady = false;

  start(): void {
    for (let i = 0; i < this.options.readers; i++) this.loops.push(this.readLoop(i));
    this.loops.push(this.writeLoop(), this.modelLoop(), this.probeLoop());
  }

  private async readLoop(offset: number) {
    for (let i = offset; this.running; i++) {
      const read = READS[i % READS.length]!;
      const start = Date.now();
      this.record(read.op, 'read', start, await this.call(read.query, read.variables?.(this.ctx)));
      await sleep(this.options.pauseMs);
    }
  }

  private async probeLoop() {
    const query = probeQuery(this.options.probe);
    while (this.running) {
      const start = Date.now();
      const fault = this.clock.fault;
      const phase = this.clock.phase;
      const a = await this.call(query);
      this.record('probe', 'probe', start, a);
      this.probes.push({ start, fault, phase, responded: !a.transport, answered: probeAnswered(this.options.probe, a) });
      await sleep(200);
    }
  }

  private async modelLoop() {
    while (this.running) {
      const start = Date.now();
      const a = await this.call('mutation ChaosComplete($input: CompleteInput!) { complete(input: $input) { model attempts { model outcome } } }', {
        input: { messages: [{ role: 'USER', content: `chaos question ${this.seq++}` }], cache: false, maxTokens: 20 },
      });
      const r = this.record('complete', 'model', start, a);
      const completion = (a.data?.complete ?? null) as { model: string; attempts: { model: string; outcome: string }[] } | null;
      for (const at of completion?.attempts ?? []) this.attempts.set(`${at.model}:${at.outcome}`, (this.attempts.get(`${at.model}:${at.outcome}`) ?? 0) + 1);
      if (r.ok && completion && !completion.attempts.some((at) => at.outcome === 'TIMEOUT')) this.modelClean.push(r);
      if (r.ok && completion?.model === this.ctx.primaryModel && completion.attempts.length === 1) this.modelFull.push(r);
      await sleep(500);
    }
  }

  private async writeLoop() {
    for (let i = 0; this.running; i++) {
      const step = i % 4;
      if (step === 0 || step === 2) await this.sendMessage();
      else if (step === 1) await this.once('createTicket', `chaos-ticket-${randomUUID()}`, (key) => [
        'mutation ChaosCreateTicket($input: CreateTicketInput!) { createTicket(input: $input) { id number } }',
        { input: { subject: key, description: 'written by npm run chaos', requester: { name: 'Chaos', email: 'chaos@example.com' } } },
      ]);
      else {
        const key = `chaos-esc-${randomUUID()}`;
        const outcome = await this.once('escalateToTicket', key, () => [
          'mutation ChaosEscalate($id: ID!, $subject: String) { escalateToTicket(id: $id, subject: $subject) { id } }',
          { id: this.ctx.escalationConversation, subject: key },
        ]);
        if (outcome === 'accepted') this.expect('escalation', key);
      }
      await sleep(this.options.pauseMs * 2);
    }
  }

  private expect(kind: string, key: string) {
    const e: EventRecord = { kind, key, fault: this.clock.fault, sentAt: Date.now() };
    this.events.push(e);
    this.byKey.set(`${kind}:${key}`, e);
  }

  /** A write without an idempotency key: one attempt; no answer or UPSTREAM_UNAVAILABLE (maybe it happened) leaves it unknown. */
  private async once(kind: string, key: string, build: (key: string) => [string, Record<string, unknown>]): Promise<Outcome> {
    const [query, variables] = build(key);
    const start = Date.now();
    const fault = this.clock.fault;
    const a = await this.call(query, variables);
    const r = this.record(kind, 'write', start, a);
    const outcome: Outcome = r.ok ? 'accepted' : a.transport || r.codes.includes('UPSTREAM_UNAVAILABLE') ? 'unknown' : 'refused';
    this.writes.push({ kind, key, fault, outcome, at: Date.now(), attempts: 1 });
    return outcome;
  }

  /** sendMessage with an idempotency key, retried with the same key until accepted (or retryForMs passed). */
  private async sendMessage() {
    const key = `chaos-${randomUUID()}`;
    const fault = this.clock.fault;
    const first = Date.now();
    let attempts = 0;
    let outcome: Outcome = 'unknown';
    while (this.running || attempts === 0) {
      attempts++;
      const start = Date.now();
      const a = await this.call('mutation ChaosSend($input: SendMessageInput!) { sendMessage(input: $input) { created message { id } } }', {
        input: { conversationId: this.ctx.liveConversation, text: key, idempotencyKey: key },
      });
      const r = this.record('sendMessage', 'write', start, a);
      if (r.ok) {
        outcome = 'accepted';
        break;
      }
      if (Date.now() - first > this.options.retryForMs) break;
      await sleep(250);
    }
    this.writes.push({ kind: 'sendMessage', key, fault, outcome, at: Date.now(), attempts });
    if (outcome === 'accepted') this.expect('messageAdded', key);
    else this.unanswered.add(key);
  }

  /** sendMessage keys never accepted: if one is stored after all, its live event is expected too. */
  readonly unanswered = new Set<string>();

  private delivered(key: string, via: string) {
    const e = this.byKey.get(`messageAdded:${key}`);
    if (e && e.deliveredAt === undefined) {
      e.deliveredAt = Date.now();
      e.via = via;
    }
  }

  /** The subscriber: reconnects (graphql-ws retries) and resubscribes; each time it catches up with a query. */
  private subscribe() {
    const wsUrl = this.ctx.url.replace(/^http/, 'ws');
    let connectedOnce = false;
    this.subscriber = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: this.ctx.headers.authorization },
      retryAttempts: Number.MAX_SAFE_INTEGER,
      shouldRetry: () => true,
      retryWait: async () => void (await sleep(300)),
      keepAlive: 5_000,
      on: {
        connected: () => {
          if (connectedOnce) void this.catchUp();
          connectedOnce = true;
        },
      },
    });
    const open = () => {
      if (!this.running) return;
      this.subscriber!.subscribe<{ messageAdded: { id: string; text: string } | null }>(
        { query: 'subscription ChaosLive($c: ID!) { messageAdded(conversationId: $c) { id text } }', variables: { c: this.ctx.liveConversation } },
        {
          next: (result) => {
            // An event the gateway could not resolve (a subgraph timed out) arrives as an error:
            // the client knows it missed something and catches up, as after a reconnect.
            if (result.errors?.length) {
              this.errorResults++;
              for (const e of result.errors) this.errorCodes.set(String(e.extensions?.code ?? 'UNKNOWN'), (this.errorCodes.get(String(e.extensions?.code ?? 'UNKNOWN')) ?? 0) + 1);
              void this.catchUp();
            }
            const text = result.data?.messageAdded?.text;
            if (text && this.readyKeys.has(text)) this.heardReady = true;
            else if (text) this.delivered(text, 'live');
          },
          error: () => again(),
          complete: () => again(),
        },
      );
    };
    const again = () => {
      if (!this.running) return;
      this.resubscribes++;
      setTimeout(() => {
        open();
        void this.catchUp();
      }, 500);
    };
    open();
  }

  /** What a client does after reconnecting: reads the latest messages and takes what it missed. */
  private async catchUp() {
    this.catchUps++;
    for (let i = 0; i < 20 && this.running; i++) {
      const a = await this.call('query ChaosCatchUp($id: ID!) { conversation(id: $id) { messages(last: 100) { nodes { text } } } }', { id: this.ctx.liveConversation });
      const nodes = ((a.data?.conversation as { messages?: { nodes?: { text: string }[] } } | null)?.messages?.nodes ?? []) as { text: string }[];
      if (isOk(a)) {
        for (const n of nodes) this.delivered(n.text, 'catch-up');
        return;
      }
      await sleep(500);
    }
  }

  get catchUpCount() {
    return this.catchUps;
  }

  /** Marks escalations whose ticket exists (subject → created_at in ms). */
  escalationsSeen(created: Map<string, number>) {
    for (const e of this.events) {
      if (e.kind !== 'escalation' || e.deliveredAt !== undefined) continue;
      const at = created.get(e.key);
      if (at !== undefined) {
        e.deliveredAt = Math.max(at, e.sentAt);
        e.via = 'db';
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** After the grace period: the subscriber goes. */
  async closeSubscriber(): Promise<void> {
    await this.subscriber?.dispose();
  }
}
