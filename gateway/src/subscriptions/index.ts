export { LIVE_CHANNEL_PREFIX, LiveEvents, liveChannel, publishLive, type LiveEvent, type LiveListener } from './live-events';
export { PrimaryDataSource, livePlan, rewritePrimary, type LivePlan } from './plan';
export {
  CLOSE_FORBIDDEN,
  CLOSE_GOING_AWAY,
  CLOSE_TOO_SLOW,
  startSubscriptions,
  type AccessCheck,
  type SubscriptionServer,
  type SubscriptionServerOptions,
  type SubscriptionStats,
} from './server';
