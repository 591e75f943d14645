import type { EntityManager, Identity } from '@switchboard/kit';
import type { AnalyticsConfig } from './env';
import type { LiveTicker } from './modules/metrics/live';

/** What every resolver of the analytics subgraph gets, fresh per request. */
export interface AnalyticsContext {
  identity: Identity;
  /** Bound to the caller's tenant; metrics queries also name the tenant in every statement. */
  em: EntityManager;
  /** The subgraph's Postgres schema (raw SQL names it). */
  schema: string;
  config: AnalyticsConfig;
  /** The process's liveMetrics ticker (one snapshot per tenant per tick). */
  live: () => LiveTicker;
}
