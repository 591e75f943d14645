import { commonEnv, env, parseConfig, type Config } from '@switchboard/kit';

/** The port `npm start` and the supergraph use; ANALYTICS_PORT moves it. */
export const PORT = 4007;

export const analyticsEnv = {
  ...commonEnv,
  ANALYTICS_PORT: env.port(PORT),
  /** Seed the demo data at start when running on its own (demo only). */
  SEED_DEMO: env.bool(false),
  /** How often liveMetrics looks for tenants whose numbers changed (ms): at most one push per tenant per interval. */
  ANALYTICS_LIVE_INTERVAL_MS: env.int({ default: 1_000, min: 50 }),
  /**
   * Percentiles of a metrics query are exact while its range holds at most this many samples
   * of the measure (the tenant's, after the filter); above, they merge hourly t-digests.
   */
  ANALYTICS_EXACT_PERCENTILE_MAX_SAMPLES: env.int({ default: 20_000, min: 0 }),
};

export type AnalyticsConfig = Config<typeof analyticsEnv>;

export function readAnalyticsConfig(source: Record<string, string | undefined> = process.env): AnalyticsConfig {
  return parseConfig(analyticsEnv, source);
}
