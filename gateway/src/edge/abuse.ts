import type { Logger, Redis } from '@switchboard/kit';
import type { Request, RequestHandler } from 'express';
import type { GatewayConfig } from '../env';
import type { LiveRateLimit } from '../subscriptions';
import type { ConnectionGuard } from '../subscriptions/server';
import type { Refuse } from './errors';
import { loginThrottle } from './login-throttle';
import type { edgeMetrics } from './metrics';
import { MemoryPenaltyStore, RedisPenaltyStore, type PenaltyStore } from './penalties';
import { MemoryRateLimitStore, RedisRateLimitStore, bucketsFor, rateLimitMiddleware, type BucketSpec, type RateLimitStore } from './rate-limit';
import { ThreatDetector, blockReporter, inlineThreatGuard, subjectOf, threatGuard, threatPlugin } from './threats';

/**
 * The gateway's abuse protection, built once from its configuration (docs/api.md "Abuse
 * protection"): the shared stores (Redis; in-process without it), the threat detector, the
 * Apollo plugins (login throttle, threat scoring), the /graphql middleware that refuses
 * blocked and over-limit callers, and the same rules for sockets.
 */
export function abuseProtection(options: {
  config: GatewayConfig;
  redis: Redis | undefined;
  now: () => number;
  counters: ReturnType<typeof edgeMetrics>;
  log: Logger;
  tenantsUrl: () => string;
}) {
  const { config, redis, now, counters, log, tenantsUrl } = options;

  const rateLimitStore: RateLimitStore | undefined = config.RATE_LIMIT_ENABLED
    ? redis
      ? new RedisRateLimitStore(redis, config.REDIS_KEY_PREFIX, { max: config.RATE_LIMIT_LEASE_MAX, ms: config.RATE_LIMIT_LEASE_MS })
      : new MemoryRateLimitStore()
    : undefined;
  const penalties: PenaltyStore = redis ? new RedisPenaltyStore(redis, config.REDIS_KEY_PREFIX) : new MemoryPenaltyStore();
  const penaltyError = (error: unknown) => {
    counters.redisErrors.inc({ use: 'penalties' });
    log.debug('penalty store error', { reason: (error as Error)?.name });
  };
  const authFailureBucket = (ip: string): BucketSpec => ({ id: `authfail:${ip}`, kind: 'authFailures', limit: config.AUTH_FAILURES_PER_IP_PER_MINUTE, windowMs: 60_000 });
  const anonymousBucket = (ip: string): BucketSpec => ({ id: `ip:${ip}`, kind: 'ip', limit: config.RATE_LIMIT_ANONYMOUS_PER_MINUTE, windowMs: 60_000 });
  const threats = config.THREAT_DETECTION_ENABLED
    ? new ThreatDetector({
        store: penalties,
        rule: { threshold: config.THREAT_THRESHOLD, halfLifeMs: config.THREAT_HALF_LIFE_SECONDS * 1000, blockMs: config.THREAT_BLOCK_SECONDS * 1000 },
        points: {
          authFailure: config.THREAT_POINTS_AUTH_FAILURE,
          loginFailure: config.THREAT_POINTS_LOGIN_FAILURE,
          operationLimit: config.THREAT_POINTS_OPERATION_LIMIT,
          malformed: config.THREAT_POINTS_MALFORMED,
          injection: config.THREAT_POINTS_INJECTION,
          rateLimited: config.THREAT_POINTS_RATE_LIMITED,
        },
        now,
        onBlock: blockReporter({
          logger: log,
          onCount: (subject) => counters.blocked.inc({ subject }),
          tenantsUrl,
          internalSecret: config.INTERNAL_SECRET,
          timeoutMs: config.SUBGRAPH_TIMEOUT_MS,
        }),
        onError: penaltyError,
      })
    : undefined;
  const abusePlugins = [
    ...(config.LOGIN_THROTTLE_ENABLED
      ? [
          loginThrottle({
            penalties,
            rule: {
              free: config.LOGIN_FREE_FAILURES,
              baseMs: config.LOGIN_BACKOFF_BASE_SECONDS * 1000,
              maxMs: config.LOGIN_BACKOFF_MAX_SECONDS * 1000,
              resetMs: config.LOGIN_FAILURE_RESET_SECONDS * 1000,
            },
            rateLimits: rateLimitStore,
            authFailureBucket,
            anonymousBucket,
            now,
            onError: penaltyError,
            onLimited: (bucket) => counters.rateLimited.inc({ bucket }),
          }),
        ]
      : []),
    ...(threats ? [threatPlugin(threats)] : []),
  ];

  let failOpenLogged = 0;
  /**
   * After authentication on /graphql: a blocked client is refused, then the rate limit is
   * taken. With both in Redis the block is read in the rate limiter's script (one round trip).
   */
  function httpGuards(refuse: Refuse, isApqRegistration: (req: Request) => boolean): RequestHandler[] {
    const storeKey = penalties.storeKey?.bind(penalties);
    const inlineGuard = threats && rateLimitStore?.consumeGuarded && storeKey ? inlineThreatGuard(threats, refuse, storeKey) : undefined;
    const guards: RequestHandler[] = threats && !inlineGuard ? [threatGuard(threats, refuse)] : [];
    if (!rateLimitStore) return guards;
    const rateLimit = rateLimitMiddleware({
      store: rateLimitStore,
      requestsPerMinute: (res) => res.locals.requestsPerMinute as number | undefined,
      apiKeySharePercent: config.RATE_LIMIT_API_KEY_SHARE,
      anonymousPerMinute: config.RATE_LIMIT_ANONYMOUS_PER_MINUTE,
      apqRegistrationsPerMinute: config.APQ_REGISTRATIONS_PER_MINUTE,
      isApqRegistration,
      now,
      refuse,
      onFailOpen: (error) => {
        counters.rateLimitFailOpen.inc();
        counters.redisErrors.inc({ use: 'ratelimit' });
        if (Date.now() - failOpenLogged > 60_000) {
          failOpenLogged = Date.now();
          log.warn('rate limiter failing open: its store does not answer', { error: (error as Error)?.message });
        }
      },
      onLimited: (bucket) => counters.rateLimited.inc({ bucket }),
      guard: inlineGuard,
    });
    return [...guards, rateLimit];
  }

  /** The HTTP edge's abuse rules for sockets (startSubscriptions' guard and rate limit; docs/api.md "Abuse protection"). */
  function socketRules(): { guard: ConnectionGuard; rateLimit: LiveRateLimit | undefined } {
    return {
      guard: {
        blocked: async (ip, identity) => {
          if (!threats) return undefined;
          const hit = await threats.blocked([subjectOf(identity, ip)]);
          if (!hit || (identity && hit.subject.kind === 'ip')) return undefined;
          return { retryAfter: Math.max(1, Math.ceil(hit.ms / 1000)) };
        },
        overAuthFailureBudget: async (ip) => {
          if (!rateLimitStore?.peek) return undefined;
          const [state] = await rateLimitStore.peek([authFailureBucket(ip)], now()).catch(() => [undefined]);
          return state && !state.allowed ? Math.max(1, Math.ceil(state.retryAfterMs / 1000)) : undefined;
        },
        authFailed: async (ip) => {
          await rateLimitStore?.consume([authFailureBucket(ip)], now()).catch(() => undefined);
          await threats?.record(subjectOf(undefined, ip), 'authFailure', ip);
        },
      },
      rateLimit: rateLimitStore && {
        store: rateLimitStore,
        buckets: (identity, ip, rpm) =>
          bucketsFor(identity, ip, rpm, { apiKeySharePercent: config.RATE_LIMIT_API_KEY_SHARE, anonymousPerMinute: config.RATE_LIMIT_ANONYMOUS_PER_MINUTE, apqRegistrationsPerMinute: config.APQ_REGISTRATIONS_PER_MINUTE }, false),
        now,
        onFailOpen: () => counters.rateLimitFailOpen.inc(),
        onLimited: (bucket) => counters.rateLimited.inc({ bucket }),
      },
    };
  }

  return { rateLimitStore, threats, authFailureBucket, plugins: abusePlugins, httpGuards, socketRules };
}
