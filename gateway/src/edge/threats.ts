import type { ApolloServerPlugin } from '@apollo/server';
import { AppError, IDENTITY_HEADER, signIdentity, type Identity, type Logger } from '@switchboard/kit';
import type { RequestHandler, Response } from 'express';
import { Kind, visit, type DocumentNode } from 'graphql';
import type { GatewayContext } from '../context';
import { perDocument } from '../per-document';
import type { Refuse } from './errors';
import type { PenaltyStore, ScoreRule } from './penalties';
import type { BlockGuard } from './rate-limit';

/**
 * Threat detection: every client the edge can name — an IP address, an API key, a user — has
 * a score that halves every THREAT_HALF_LIFE_SECONDS. Signals add points (THREAT_POINTS_*):
 *  - authFailure:    a bad JWT or an unknown / revoked API key (charged to the IP);
 *  - loginFailure:   `login` answered UNAUTHENTICATED (charged to the IP);
 *  - operationLimit: OPERATION_TOO_COMPLEX;
 *  - malformed:      GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, BAD_REQUEST and the
 *                    persisted-query refusals (PERSISTED_QUERY_NOT_IN_LIST / _ID_REQUIRED);
 *  - injection:      an argument or variable shaped like SQL or NoSQL injection, path
 *                    traversal or `${jndi:` (scored, never refused by itself: the data layer
 *                    is parameterised). Markup (`<script>`) is not a signal: customers paste
 *                    code into support chats, and rendering safely is the client's job;
 *  - rateLimited:    a request refused with RATE_LIMITED.
 * Each signal counts once per request. When a score reaches THREAT_THRESHOLD, the client is
 * blocked for THREAT_BLOCK_SECONDS: every request answers 403 `BLOCKED` with `Retry-After`,
 * before authentication (IP) or right after it (key, user), and its score starts at 0 again.
 * A block is logged, counted (`gateway_clients_blocked_total{subject}`) and, for a key or a
 * user, recorded as a security event in its tenant (`securityEvents`).
 */
export type Signal = 'authFailure' | 'loginFailure' | 'operationLimit' | 'malformed' | 'injection' | 'rateLimited';

export interface Subject {
  kind: 'ip' | 'apiKey' | 'user';
  id: string;
  tenantId?: string;
}

export interface BlockEvent {
  subject: Subject;
  /** The signal that crossed the threshold. */
  reason: Signal;
  score: number;
  blockedUntil: number;
  at: number;
  ip: string;
}

export interface ThreatOptions {
  store: PenaltyStore;
  rule: ScoreRule;
  points: Record<Signal, number>;
  now: () => number;
  onBlock: (event: BlockEvent) => void;
  onError: (error: unknown) => void;
}

/** The client a request is charged to: its key or user when authenticated, else its IP. */
export function subjectOf(identity: Identity | undefined, ip: string): Subject {
  if (identity?.kind === 'apiKey' && identity.apiKeyId) return { kind: 'apiKey', id: identity.apiKeyId, tenantId: identity.tenantId };
  if (identity?.kind === 'user' && identity.userId) return { kind: 'user', id: identity.userId, tenantId: identity.tenantId };
  return { kind: 'ip', id: ip };
}

const key = (s: Subject) => `threat:${s.kind}:${s.id}`;

/** The signal an error code a client received stands for (none: not suspicious). */
export function signalForCode(code: unknown): Signal | undefined {
  switch (code) {
    case 'OPERATION_TOO_COMPLEX':
      return 'operationLimit';
    case 'GRAPHQL_PARSE_FAILED':
    case 'GRAPHQL_VALIDATION_FAILED':
    case 'BAD_REQUEST':
    case 'PERSISTED_QUERY_NOT_IN_LIST':
    case 'PERSISTED_QUERY_ID_REQUIRED':
      return 'malformed';
    case 'RATE_LIMITED':
      return 'rateLimited';
    default:
      return undefined;
  }
}

export class ThreatDetector {
  /** Blocks this process has set, by subject key: seen at once, even where a rate-limit lease skips the store. */
  private readonly ownBlocks = new Map<string, number>();

  constructor(private readonly options: ThreatOptions) {}

  /** Adds the signal's points to the subject; fails open (a store error is counted, nothing refused). */
  async record(subject: Subject, signal: Signal, ip: string): Promise<void> {
    const points = this.options.points[signal];
    if (!points) return;
    const at = this.options.now();
    try {
      const result = await this.options.store.score(key(subject), points, at, this.options.rule);
      if (result.blockedUntil) {
        if (this.ownBlocks.size > 10_000) for (const [k, until] of this.ownBlocks) if (until <= at) this.ownBlocks.delete(k);
        this.ownBlocks.set(key(subject), result.blockedUntil);
        this.options.onBlock({ subject, reason: signal, score: Math.round(result.score), blockedUntil: result.blockedUntil, at, ip });
      }
    } catch (error) {
      this.options.onError(error);
    }
  }

  /** The subject's key in the penalty store. */
  keyOf(subject: Subject): string {
    return key(subject);
  }

  /** The first of the subjects this process has blocked, without asking the store. */
  blockedHere(subjects: Subject[]): Hit {
    if (!this.ownBlocks.size) return undefined;
    const now = this.options.now();
    for (const subject of subjects) {
      const until = this.ownBlocks.get(key(subject));
      if (until !== undefined && until > now) return { subject, ms: until - now };
    }
    return undefined;
  }

  /** A store error: counted, nothing refused. */
  failedOpen(error: unknown): void {
    this.options.onError(error);
  }

  /** The first of the subjects that is blocked, with the milliseconds left. */
  async blocked(subjects: Subject[]): Promise<{ subject: Subject; ms: number } | undefined> {
    try {
      const waits = await this.options.store.waitMs(subjects.map(key), this.options.now());
      const i = waits.findIndex((ms) => ms > 0);
      return i < 0 ? undefined : { subject: subjects[i]!, ms: waits[i]! };
    } catch (error) {
      this.options.onError(error);
      return undefined;
    }
  }
}

/** 403 BLOCKED with Retry-After. */
export function blockedError(subject: Subject, ms: number): { error: AppError; retryAfter: number } {
  const retryAfter = Math.max(1, Math.ceil(ms / 1000));
  const what = { ip: 'your address', apiKey: 'this API key', user: 'this account' }[subject.kind];
  const error = new AppError('BLOCKED', `Requests from ${what} are blocked for ${retryAfter} s after repeated failed or abusive requests`, {
    retryAfter,
    subject: subject.kind,
  });
  return { error, retryAfter };
}

type Hit = { subject: Subject; ms: number } | undefined;

/**
 * Refuses blocked clients, after authentication, with one read of the penalty store for the
 * address and the key or user together (the address first: a blocked address is refused
 * whatever the credential). Authentication reads the address on its own and first
 * (`addressBlocked`) only when it must ask the tenants subgraph, or has failed — so a blocked
 * address still costs no lookup and is charged no failed authentication — and then this
 * reads only the key or user. (It was a read before and one after authentication on every
 * request: one Redis round trip more.)
 */
export function threatGuard(detector: ThreatDetector, refuse: Refuse): RequestHandler {
  return async (req, res, next) => {
    const { hit: early, subjects } = await unread(res, req.ip ?? 'unknown');
    const hit = early ?? (subjects.length ? await detector.blocked(subjects) : undefined);
    if (!hit) return next();
    refuseBlocked(res, refuse, hit);
  };
}

/**
 * The same check read in the rate limiter's round trip (rate-limit.ts `consumeGuarded`, when
 * both live in Redis): one round trip per request at the edge instead of two, and a blocked
 * client's request is still refused as BLOCKED and not charged to its buckets. Blocks this
 * process set are checked first, in memory: a request the limiter serves from a lease, with
 * no round trip, is still refused when this replica blocked its client.
 */
export function inlineThreatGuard(detector: ThreatDetector, refuse: Refuse, storeKey: (key: string) => string): BlockGuard {
  const pending = new WeakMap<Response, Subject[]>();
  return {
    async keys(req, res) {
      const { hit: early, subjects } = await unread(res, req.ip ?? 'unknown');
      const hit = early ?? detector.blockedHere(subjects);
      if (hit) {
        refuseBlocked(res, refuse, hit);
        return null;
      }
      pending.set(res, subjects);
      return subjects.map((s) => storeKey(detector.keyOf(s)));
    },
    refuse(res, index, ms) {
      refuseBlocked(res, refuse, { subject: pending.get(res)![index]!, ms });
    },
    onError: (error) => detector.failedOpen(error),
  };
}

/** The request's subjects whose block is not read yet — the address first, then its key or user — or the block already found. */
async function unread(res: Response, ip: string): Promise<{ hit?: NonNullable<Hit>; subjects: Subject[] }> {
  const subject = subjectOf(res.locals.identity as Identity | undefined, ip);
  const early = res.locals.addressBlocked as Promise<Hit> | undefined;
  const hit = early ? await early : undefined;
  if (hit) return { hit, subjects: [] };
  if (early && subject.kind === 'ip') return { subjects: [] };
  return { subjects: early || subject.kind === 'ip' ? [subject] : [subjectOf(undefined, ip), subject] };
}

/** The address's block, read once per request (before a tenants lookup, or on a failed authentication). */
export function addressBlocked(detector: ThreatDetector, res: Response, ip: string): Promise<Hit> {
  return ((res.locals as { addressBlocked?: Promise<Hit> }).addressBlocked ??= detector.blocked([subjectOf(undefined, ip)]));
}

/** 403 BLOCKED with Retry-After; a refusal for being blocked is not itself a signal. */
export function refuseBlocked(res: Response, refuse: Refuse, hit: NonNullable<Hit>): void {
  const { error, retryAfter } = blockedError(hit.subject, hit.ms);
  res.locals.threatRecorded = true;
  refuse(res, 'code', error, { 'Retry-After': String(retryAfter) });
}

/** Charges an edge refusal (sent by `refuse`, before Apollo) to the client it was sent to. */
export function recordRefusal(detector: ThreatDetector, res: Response, code: unknown): void {
  const locals = res.locals as { threatRecorded?: boolean; identity?: Identity };
  if (locals.threatRecorded) return;
  const signal = signalForCode(code);
  if (!signal) return;
  locals.threatRecorded = true;
  const ip = res.req?.ip ?? 'unknown';
  void detector.record(subjectOf(locals.identity, ip), signal, ip);
}

// ------------------------------------------------------------------ injection-shaped input

const INJECTION = [
  /['"`]\s*\)?\s*(or|and)\s+['"`]?\w+['"`]?\s*(=|like)\s*['"`]?\w+/i, // ' OR '1'='1
  /\bunion\s+(all\s+)?select\b/i,
  /;\s*(drop|truncate|alter|delete\s+from|insert\s+into|update\s+\w+\s+set)\b/i,
  /\b(pg_sleep|waitfor\s+delay|benchmark)\s*\(/i,
  /\bsleep\s*\(\s*\d+\s*\)/i,
  /['"`]\s*;?\s*--\s*$/,
  /(\.\.[\\/]){2,}/,
  /\$\{jndi:/i,
];
const NOSQL_KEY = /^\$(where|ne|gt|gte|lt|lte|regex|expr|function|in|nin|or|and)$/;

/** True when any string (or object key) in the value looks like an injection attempt. Scans at most ~64 KB. */
export function injectionShaped(value: unknown, budget = { chars: 65_536 }, depth = 0): boolean {
  if (budget.chars <= 0 || depth > 10) return false;
  if (typeof value === 'string') {
    budget.chars -= value.length;
    return INJECTION.some((re) => re.test(value.slice(0, 4096)));
  }
  if (Array.isArray(value)) return value.some((v) => injectionShaped(v, budget, depth + 1));
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (NOSQL_KEY.test(k) || injectionShaped(k, budget, depth + 1) || injectionShaped(v, budget, depth + 1)) return true;
    }
  }
  return false;
}

/** Whether the document's own strings look like injection (once per parsed document). */
const injectionInDocument = perDocument((document: DocumentNode): boolean => {
  const strings: string[] = [];
  visit(document, {
    [Kind.STRING]: (node) => {
      strings.push(node.value);
    },
  });
  return injectionShaped(strings);
});

/**
 * Charges what Apollo answers to the client: the error codes of the response (once each),
 * a failed `login` (to the IP), and injection-shaped arguments or variables.
 */
export function threatPlugin(detector: ThreatDetector): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ contextValue }) {
      const signals = new Set<Signal>();
      return {
        async didResolveOperation({ document, request }) {
          if (injectionShaped(request.variables) || injectionInDocument(document)) signals.add('injection');
        },
        async willSendResponse({ response, contextValue: ctx }) {
          const errors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          for (const e of errors) {
            const signal = signalForCode(e.extensions?.code);
            if (signal) signals.add(signal);
          }
          if ((ctx ?? contextValue).loginFailed) signals.add('loginFailure');
          const ip = (ctx ?? contextValue).ip ?? 'unknown';
          const identity = (ctx ?? contextValue).identity;
          for (const signal of signals) {
            // A login failure is the address's, whoever is signed in.
            await detector.record(signal === 'loginFailure' ? subjectOf(undefined, ip) : subjectOf(identity, ip), signal, ip);
          }
        },
      };
    },
  };
}

// ------------------------------------------------------------------ reporting a block

/**
 * A block is an event for the operator (a warning log line and a counter) and, when the
 * client belongs to a tenant (a key or a user), for the tenant: the gateway posts it to the
 * tenants subgraph's internal endpoint with its service identity, and `securityEvents` lists it.
 */
export function blockReporter(options: {
  logger: Logger;
  onCount: (subject: Subject['kind']) => void;
  tenantsUrl: () => string;
  internalSecret: string;
  timeoutMs: number;
}): (event: BlockEvent) => void {
  return (event) => {
    const { subject } = event;
    options.onCount(subject.kind);
    options.logger.warn('client blocked', {
      subject: subject.kind,
      subjectId: subject.id,
      ...(subject.tenantId ? { blockedTenantId: subject.tenantId } : {}),
      reason: event.reason,
      score: event.score,
      blockedUntil: new Date(event.blockedUntil).toISOString(),
    });
    if (!subject.tenantId) return;
    const body = {
      tenantId: subject.tenantId,
      kind: 'CLIENT_BLOCKED',
      subjectKind: subject.kind,
      subjectId: subject.id,
      reason: event.reason,
      score: event.score,
      ip: event.ip,
      occurredAt: new Date(event.at).toISOString(),
      blockedUntil: new Date(event.blockedUntil).toISOString(),
    };
    void fetch(new URL('/internal/security-events', options.tenantsUrl()), {
      method: 'POST',
      headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: signIdentity({ kind: 'service', roles: [], scopes: [], audience: 'tenants' }, options.internalSecret) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs),
    })
      .then((res) => {
        if (!res.ok) options.logger.error('security event not recorded', { status: res.status, subject: subject.kind });
      })
      .catch((error: unknown) => options.logger.error('security event not recorded', { reason: (error as Error)?.name }));
  };
}
