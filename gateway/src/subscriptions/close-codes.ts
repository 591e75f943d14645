import { CloseCode } from 'graphql-ws';

/**
 * Why the gateway closes a live socket (docs/api.md "Live updates"). graphql-ws's own
 * `CloseCode` where it has one; WebSocket's standard codes otherwise; 4429 for our limits.
 */
export const CLOSE_FORBIDDEN: number = CloseCode.Forbidden; // 4403: missing, invalid, revoked or changed credentials
/** 1013 "Try Again Later": too slow a consumer (events dropped), or credentials cannot be checked now. */
export const CLOSE_TOO_SLOW = 1013;
/** 1001 "Going Away": the gateway is shutting down. */
export const CLOSE_GOING_AWAY = 1001;
/** 1009 "Message Too Big": a frame over SUBSCRIPTION_MAX_PAYLOAD_BYTES (sent by `ws` itself, before the frame is read). */
export const CLOSE_TOO_BIG = 1009;
/**
 * 4429: RATE_LIMITED — connects charged to the rate limiter, or the sockets-per-principal /
 * per-IP caps. The reason names which. (graphql-ws uses 4429 also for a second
 * `connection_init` on one socket; like it, a graphql-ws client does not retry on it.)
 */
export const CLOSE_RATE_LIMITED = 4429;
