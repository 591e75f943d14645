import { AppError, currentScope, headerValue, refuseRequest } from '@switchboard/kit';
import type { RequestHandler } from 'express';
import type { Authenticator } from '../authenticate';
import { edgeError, type Refuse } from './errors';
import type { edgeMetrics } from './metrics';
import type { BucketSpec, RateLimitStore } from './rate-limit';
import { addressBlocked, blockedError, refuseBlocked, subjectOf, type ThreatDetector } from './threats';

/**
 * The HTTP edge's authentication: who the caller is (authenticate.ts), with the abuse rules
 * around it — an address that is blocked, or past its failed-authentication budget, is
 * refused before the tenants subgraph is asked (a credential the gateway remembers as valid
 * costs no lookup and passes); a failed authentication is charged to the address, its
 * bucket and its threat score.
 */
export function authenticateRequests(options: {
  authenticator: Authenticator;
  threats?: ThreatDetector;
  rateLimitStore?: RateLimitStore;
  authFailureBucket: (ip: string) => BucketSpec;
  authFailuresPerMinute: number;
  counters: ReturnType<typeof edgeMetrics>;
  now: () => number;
  refuse: Refuse;
}): RequestHandler {
  const { authenticator, threats, rateLimitStore, authFailureBucket, counters, now, refuse } = options;
  return async (req, res, next) => {
    const authorization = headerValue(req, 'authorization');
    const apiKey = headerValue(req, 'x-api-key');
    const ip = req.ip ?? 'unknown';
    res.locals.ip = ip;
    // An address past its failed-authentication budget is refused before the tenants subgraph
    // is asked (a credential the gateway remembers as valid costs no lookup and passes).
    const beforeLookup = async () => {
      // Both reads at once (one Redis round trip of latency instead of two); both only read.
      const peeked = rateLimitStore?.peek
        ? rateLimitStore.peek([authFailureBucket(ip)], now()).then(
            ([s]) => s,
            () => {
              counters.redisErrors.inc({ use: 'ratelimit' }); // fail open, like the rate limiter
              return undefined;
            },
          )
        : undefined;
      // A blocked address is refused before the tenants subgraph is asked.
      const hit = threats && (await addressBlocked(threats, res, ip));
      if (hit) {
        const { error, retryAfter } = blockedError(hit.subject, hit.ms);
        res.locals.retryAfter = retryAfter;
        res.locals.threatRecorded = true;
        throw error;
      }
      const state = await peeked;
      if (!state || state.allowed) return;
      const retryAfter = Math.max(1, Math.ceil(state.retryAfterMs / 1000));
      counters.rateLimited.inc({ bucket: 'authFailures' });
      res.locals.retryAfter = retryAfter;
      const error = edgeError('RATE_LIMITED', `Too many failed authentications from your address (${options.authFailuresPerMinute} per minute); retry after ${retryAfter} s`, {
        retryAfter,
        bucket: 'authFailures',
        limit: options.authFailuresPerMinute,
      });
      throw refuseRequest(error);
    };
    try {
      const { identity, requestsPerMinute } = await authenticator.authenticate({ authorization, apiKey }, { beforeLookup });
      currentScope()!.identity = identity;
      res.locals.identity = identity;
      res.locals.requestsPerMinute = requestsPerMinute;
      next();
    } catch (error) {
      if (!(error instanceof AppError)) return next(error);
      if (error.code === 'UNAUTHENTICATED') {
        // From a blocked address: refused as blocked, and not charged.
        const hit = threats && (await addressBlocked(threats, res, ip));
        if (hit) return refuseBlocked(res, refuse, hit);
        // A failed authentication: charged to the address (its bucket and its threat score).
        const [state] = (await rateLimitStore?.consume([authFailureBucket(ip)], now()).catch(() => {
          counters.redisErrors.inc({ use: 'ratelimit' });
          return undefined;
        })) ?? [];
        res.locals.threatRecorded = true;
        await threats?.record(subjectOf(undefined, ip), 'authFailure', ip);
        if (state && !state.allowed) {
          // Over the budget already (a bad JWT needs no lookup): the answer is the limit's.
          try {
            await beforeLookup();
          } catch (limited) {
            if (limited instanceof AppError) return refuse(res, 'code', limited, { 'Retry-After': String(res.locals.retryAfter) });
          }
        }
      }
      refuse(res, 'code', error, res.locals.retryAfter ? { 'Retry-After': String(res.locals.retryAfter) } : {});
    }
  };
}
