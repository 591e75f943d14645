import type { DomainEvent } from '@switchboard/kit';

/**
 * The pure part of analytics: how domain events fold into a *fact* per conversation and per
 * ticket, and what a fact contributes to the hourly rollups. A fact's contributions are a
 * function of its state only, and the state is folded so that the order events arrive in
 * does not matter (each field keeps the value of the latest `occurredAt`, or the minimum
 * where "first" is meant). So a late or out-of-order event moves a number into the right
 * hour bucket: the store retracts what the fact contributed before and adds what it
 * contributes now (ingest.ts). Everything here is unit-tested without a database.
 */

/** The stored measures (rollup.measure): the API's measures are sums and ratios of these. */
export type StoredMeasure =
  | 'CONVERSATIONS_STARTED'
  | 'CONVERSATIONS_RESOLVED'
  | 'HANDOFFS'
  | 'BOT_CONTAINED'
  | 'FIRST_RESPONSE'
  | 'RESOLUTION'
  | 'TICKETS_CREATED'
  | 'TICKETS_RESOLVED'
  | 'SLA_MET'
  | 'SLA_BREACHES'
  | 'BACKLOG'
  | 'CSAT'
  | 'AI_TOKENS'
  | 'AI_COST_USD';

/** The dimensions of a rollup row, '' for "none". */
export interface Dims {
  channel: string;
  agent: string;
  assistant: string;
  model: string;
  priority: string;
}

export const DIMENSIONS = ['channel', 'agent', 'assistant', 'model', 'priority'] as const;

/** One thing a fact adds to one rollup row (`n` to the count, `v` to the sum), or one percentile sample. */
export interface Contribution {
  m: StoredMeasure;
  /** The hour bucket, ISO (UTC, minutes zeroed). */
  b: string;
  d: Dims;
  n: number;
  v: number;
  /** A percentile sample (rollup `sample` table) rather than a counter. */
  s?: true;
}

export const FACT_EVENTS = [
  'conversation.started',
  'conversation.updated',
  'conversation.assigned',
  'conversation.resolved',
  'conversation.escalated',
  'conversation.rated',
  'message.sent',
  'ticket.created',
  'ticket.status_changed',
  'ticket.assigned',
  'ticket.sla_at_risk',
  'ticket.sla_breached',
  'ai.usage',
] as const;

export interface AiUsage {
  id: string;
  at: string;
  model: string;
  assistantId: string;
  tokens: number;
  costUsd: number;
}

export interface ConversationFact {
  startedAt?: string;
  channel?: string;
  priority?: string;
  priorityAt?: string;
  assigneeId?: string | null;
  assigneeAt?: string;
  assistantId?: string;
  status?: string;
  statusAt?: string;
  /** When the current closed run began (RESOLVED or CLOSED), if the conversation is closed. */
  resolvedAt?: string | null;
  /** The earliest AGENT or BOT message. */
  firstResponseAt?: string;
  /** An agent wrote, was assigned, or it was queued or escalated to people. */
  human?: boolean;
  /** It left the bot for people (BOT → QUEUED/ASSIGNED, or escalated). */
  handedOff?: boolean;
  rating?: { score: number; at: string };
  usage?: AiUsage[];
}

export interface TicketFact {
  createdAt?: string;
  priority?: string;
  channel?: string;
  assigneeId?: string | null;
  assigneeAt?: string;
  conversationId?: string | null;
  resolutionDueAt?: string | null;
  /** Every status change, by the time it happened. */
  transitions?: { at: string; to: string }[];
  breachedAt?: string | null;
  atRiskAt?: string | null;
}

export const CLOSED_TICKET = new Set(['RESOLVED', 'CLOSED']);
export const CLOSED_CONVERSATION = new Set(['RESOLVED', 'CLOSED']);

export const hourOf = (iso: string): string => {
  const d = new Date(iso);
  d.setUTCMinutes(0, 0, 0);
  return d.toISOString();
};

const later = (a: string | undefined, b: string) => !a || new Date(b).getTime() >= new Date(a).getTime();
const minIso = (a: string | undefined, b: string) => (!a || new Date(b).getTime() < new Date(a).getTime() ? b : a);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : Number(v) || 0);

/** Which fact an event belongs to: ['conversation' | 'ticket' | 'usage', id]. */
export function factKey(event: DomainEvent): { kind: 'conversation' | 'ticket' | 'usage'; id: string } | undefined {
  const d = event.data as Record<string, unknown>;
  if (event.type === 'message.sent' || event.type === 'conversation.escalated') {
    const id = str(d.conversationId);
    return id ? { kind: 'conversation', id } : undefined;
  }
  if (event.type === 'ai.usage') {
    const id = str(d.conversationId);
    return id ? { kind: 'conversation', id } : { kind: 'usage', id: event.id };
  }
  const id = str(d.id);
  if (!id) return undefined;
  if (event.type.startsWith('conversation.')) return { kind: 'conversation', id };
  if (event.type.startsWith('ticket.')) return { kind: 'ticket', id };
  return undefined;
}

function usageOf(event: DomainEvent): AiUsage {
  const d = event.data as Record<string, unknown>;
  return {
    id: event.id,
    at: event.occurredAt,
    model: str(d.model) ?? '',
    assistantId: str(d.assistantId) ?? '',
    tokens: num(d.inputTokens) + num(d.outputTokens),
    costUsd: num(d.costUsd),
  };
}

/** Folds one event into a conversation fact (returns a new state). */
export function foldConversation(prev: ConversationFact, event: DomainEvent): ConversationFact {
  const s: ConversationFact = { ...prev };
  const d = event.data as Record<string, any>;
  const at = event.occurredAt;
  const setStatus = (to: string, from?: string) => {
    if (from === 'BOT' && (to === 'QUEUED' || to === 'ASSIGNED')) s.handedOff = true;
    if (to === 'QUEUED' || to === 'ASSIGNED') s.human = true;
    if (!later(s.statusAt, at)) return;
    const wasClosed = s.status !== undefined && CLOSED_CONVERSATION.has(s.status);
    s.status = to;
    s.statusAt = at;
    if (CLOSED_CONVERSATION.has(to)) s.resolvedAt = wasClosed && s.resolvedAt ? s.resolvedAt : at;
    else s.resolvedAt = null;
  };
  const setAssignee = (id: string | null) => {
    if (id) s.human = true;
    if (!later(s.assigneeAt, at)) return;
    s.assigneeId = id;
    s.assigneeAt = at;
  };
  switch (event.type) {
    case 'conversation.started':
      s.startedAt = at;
      s.channel = str(d.channel) ?? s.channel;
      if (!s.priorityAt) s.priority = str(d.priority) ?? s.priority;
      if (str(d.assistantId)) s.assistantId = d.assistantId;
      if (!s.assigneeAt) {
        s.assigneeId = str(d.assigneeId) ?? null;
        if (s.assigneeId) s.human = true;
      }
      if (!s.statusAt && str(d.status)) {
        s.status = d.status;
        s.statusAt = at;
        if (d.status === 'QUEUED' || d.status === 'ASSIGNED') s.human = true;
      }
      break;
    case 'conversation.updated': {
      const c = (d.changes ?? {}) as Record<string, { from: unknown; to: unknown }>;
      if (c.status && str(c.status.to)) setStatus(c.status.to as string, str(c.status.from));
      if (c.assigneeId) setAssignee(str(c.assigneeId.to) ?? null);
      if (c.priority && str(c.priority.to) && later(s.priorityAt, at)) {
        s.priority = c.priority.to as string;
        s.priorityAt = at;
      }
      break;
    }
    case 'conversation.assigned':
      setAssignee(str(d.assigneeId) ?? null);
      break;
    case 'conversation.resolved':
      // conversation.updated carries the same change; alone (an older emitter) it still counts.
      if (!s.status || !CLOSED_CONVERSATION.has(s.status) || !s.resolvedAt) setStatus('RESOLVED');
      break;
    case 'conversation.escalated':
      s.human = true;
      s.handedOff = true;
      break;
    case 'conversation.rated': {
      const score = num(d.score);
      if (score >= 1 && score <= 5 && (!s.rating || later(s.rating.at, at))) s.rating = { score, at };
      break;
    }
    case 'message.sent': {
      const when = str(d.createdAt) ?? at;
      if (d.authorKind === 'AGENT') s.human = true;
      if (d.authorKind === 'AGENT' || d.authorKind === 'BOT') s.firstResponseAt = minIso(s.firstResponseAt, when);
      break;
    }
    case 'ai.usage': {
      const u = usageOf(event);
      s.usage = [...(s.usage ?? []).filter((x) => x.id !== u.id), u];
      if (u.assistantId && !s.assistantId) s.assistantId = u.assistantId;
      break;
    }
  }
  return s;
}

/** Folds one event into a ticket fact (returns a new state). */
export function foldTicket(prev: TicketFact, event: DomainEvent): TicketFact {
  const s: TicketFact = { ...prev };
  const d = event.data as Record<string, any>;
  const at = event.occurredAt;
  switch (event.type) {
    case 'ticket.created':
      s.createdAt = at;
      s.priority = str(d.priority) ?? s.priority;
      s.channel = str(d.channel) ?? s.channel;
      s.conversationId = str(d.conversationId) ?? null;
      s.resolutionDueAt = str(d.resolutionDueAt) ?? null;
      if (!s.assigneeAt) s.assigneeId = str(d.assigneeId) ?? null;
      break;
    case 'ticket.status_changed':
      if (str(d.to)) s.transitions = [...(s.transitions ?? []), { at, to: d.to as string }].sort((a, b) => a.at.localeCompare(b.at));
      break;
    case 'ticket.assigned':
      if (later(s.assigneeAt, at)) {
        s.assigneeId = str(d.assigneeId) ?? null;
        s.assigneeAt = at;
      }
      break;
    case 'ticket.sla_breached':
      s.breachedAt = minIso(s.breachedAt ?? undefined, str(d.breachedAt) ?? at);
      break;
    case 'ticket.sla_at_risk':
      s.atRiskAt = minIso(s.atRiskAt ?? undefined, at);
      break;
  }
  return s;
}

const seconds = (from: string, to: string) => Math.max(0, (new Date(to).getTime() - new Date(from).getTime()) / 1000);

export function conversationDims(s: ConversationFact, model = ''): Dims {
  return { channel: s.channel ?? '', agent: s.assigneeId ?? '', assistant: s.assistantId ?? '', model, priority: s.priority ?? '' };
}

/** What a conversation fact adds to the rollups, all of it. */
export function conversationContributions(s: ConversationFact): Contribution[] {
  const out: Contribution[] = [];
  const dims = conversationDims(s);
  if (s.startedAt) {
    const b = hourOf(s.startedAt);
    out.push({ m: 'CONVERSATIONS_STARTED', b, d: dims, n: 1, v: 0 });
    if (s.handedOff) out.push({ m: 'HANDOFFS', b, d: dims, n: 1, v: 0 });
    if (s.firstResponseAt) out.push({ m: 'FIRST_RESPONSE', b, d: dims, n: 1, v: seconds(s.startedAt, s.firstResponseAt), s: true });
  }
  if (s.resolvedAt) {
    const b = hourOf(s.resolvedAt);
    out.push({ m: 'CONVERSATIONS_RESOLVED', b, d: dims, n: 1, v: 0 });
    if (!s.human) out.push({ m: 'BOT_CONTAINED', b, d: dims, n: 1, v: 0 });
    if (s.startedAt) out.push({ m: 'RESOLUTION', b, d: dims, n: 1, v: seconds(s.startedAt, s.resolvedAt), s: true });
  }
  if (s.rating) out.push({ m: 'CSAT', b: hourOf(s.rating.at), d: dims, n: 1, v: s.rating.score });
  for (const u of s.usage ?? []) out.push(...usageContributions(u, { ...dims, assistant: u.assistantId || dims.assistant }));
  return out;
}

export function usageContributions(u: AiUsage, dims: Dims = { channel: '', agent: '', assistant: u.assistantId, model: '', priority: '' }): Contribution[] {
  const d = { ...dims, model: u.model };
  const b = hourOf(u.at);
  return [
    { m: 'AI_TOKENS', b, d, n: 1, v: u.tokens },
    { m: 'AI_COST_USD', b, d, n: 1, v: u.costUsd },
  ];
}

/** The ticket's status runs: when it was open and when closed, from creation on. */
export function ticketClosedAt(s: TicketFact): string | null {
  let closedAt: string | null = null;
  for (const t of s.transitions ?? []) {
    if (s.createdAt && t.at < s.createdAt) continue;
    if (CLOSED_TICKET.has(t.to)) closedAt ??= t.at;
    else closedAt = null;
  }
  return closedAt;
}

/** What a ticket fact adds to the rollups, all of it. */
export function ticketContributions(s: TicketFact): Contribution[] {
  if (!s.createdAt) {
    // Known only by a later event (out of order): it counts once ticket.created arrives.
    return [];
  }
  const out: Contribution[] = [];
  const dims: Dims = { channel: s.channel ?? '', agent: s.assigneeId ?? '', assistant: '', model: '', priority: s.priority ?? '' };
  out.push({ m: 'TICKETS_CREATED', b: hourOf(s.createdAt), d: dims, n: 1, v: 0 });
  // BACKLOG: +1 when it opens, -1 when it closes, +1 when it reopens; summed up to a bucket's end.
  const deltas = new Map<string, number>();
  const add = (at: string, n: number) => deltas.set(hourOf(at), (deltas.get(hourOf(at)) ?? 0) + n);
  add(s.createdAt, 1);
  let open = true;
  for (const t of s.transitions ?? []) {
    if (t.at < s.createdAt) continue;
    const closed = CLOSED_TICKET.has(t.to);
    if (open && closed) add(t.at, -1);
    if (!open && !closed) add(t.at, 1);
    open = !closed;
  }
  for (const [b, n] of deltas) if (n) out.push({ m: 'BACKLOG', b, d: dims, n, v: 0 });
  const resolvedAt = ticketClosedAt(s);
  if (resolvedAt) {
    const b = hourOf(resolvedAt);
    out.push({ m: 'TICKETS_RESOLVED', b, d: dims, n: 1, v: 0 });
    const breached = s.breachedAt && s.breachedAt <= resolvedAt;
    const late = s.resolutionDueAt && new Date(resolvedAt).getTime() > new Date(s.resolutionDueAt).getTime();
    if (!breached && !late) out.push({ m: 'SLA_MET', b, d: dims, n: 1, v: 0 });
  }
  if (s.breachedAt) out.push({ m: 'SLA_BREACHES', b: hourOf(s.breachedAt), d: dims, n: 1, v: 0 });
  return out;
}

/** A contribution's identity (the rollup row, or the sample row when `s`). */
export const contributionKey = (c: Contribution): string => `${c.s ? 's' : 'c'}|${c.m}|${c.b}|${DIMENSIONS.map((k) => c.d[k]).join('|')}`;

/** Net counter changes and sample changes to go from `before` to `after`. */
export function diffContributions(before: Contribution[], after: Contribution[]): { counters: Contribution[]; removeSamples: Contribution[]; addSamples: Contribution[] } {
  const net = new Map<string, Contribution>();
  const bump = (c: Contribution, sign: number) => {
    const key = contributionKey(c);
    const cur = net.get(key) ?? { ...c, n: 0, v: 0 };
    cur.n += sign * c.n;
    cur.v += sign * c.v;
    net.set(key, cur);
  };
  const samplesBefore = new Map(before.filter((c) => c.s).map((c) => [`${contributionKey(c)}|${c.v}`, c]));
  const samplesAfter = new Map(after.filter((c) => c.s).map((c) => [`${contributionKey(c)}|${c.v}`, c]));
  for (const c of before) if (!c.s) bump(c, -1);
  for (const c of after) if (!c.s) bump(c, 1);
  return {
    counters: [...net.values()].filter((c) => c.n !== 0 || Math.abs(c.v) > 1e-12),
    removeSamples: [...samplesBefore].filter(([k]) => !samplesAfter.has(k)).map(([, c]) => c),
    addSamples: [...samplesAfter].filter(([k]) => !samplesBefore.has(k)).map(([, c]) => c),
  };
}
