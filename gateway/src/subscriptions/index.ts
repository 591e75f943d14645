export { LIVE_CHANNEL_PREFIX, LiveEvents, liveChannel, publishLive, type LiveEvent, type LiveListener } from './live-events';
export { PrimaryDataSource, livePlan, rewritePrimary, type LivePlan } from './plan';
export { LIVE_ACCESS_DIRECTIVE, liveAccessRules, type AccessRule } from './access';
export { CLOSE_FORBIDDEN, CLOSE_GOING_AWAY, CLOSE_RATE_LIMITED, CLOSE_TOO_BIG, CLOSE_TOO_SLOW } from './close-codes';
export { DEFAULT_LIMITS, type LiveLimits, type LiveRateLimit } from './limits';
export { startSubscriptions, type SubscriptionServer, type SubscriptionServerOptions, type SubscriptionStats } from './server';
