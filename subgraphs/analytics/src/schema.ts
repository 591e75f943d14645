import { buildFederatedSchema, LIVE_INITIAL_SDL, PageInfo, type Identity, type SubgraphSchema } from '@switchboard/kit';
import type { AnalyticsContext } from './context';
import { LiveMetrics, liveMetricsReference } from './modules/metrics/live';
import { MetricsResolver, READERS } from './modules/metrics/metrics.resolver';

let built: Promise<SubgraphSchema> | undefined;

/**
 * Live field, served by the gateway from the live events the ticker publishes (one per
 * tenant per second at most, when something changed), and first from `{ id: "current" }`
 * (`@liveInitial`), which answers the tenant's current snapshot. Readers of analytics only:
 * for anyone else the snapshot resolves to null and the gateway pushes nothing.
 */
/** The representation id that means "the tenant's numbers now". */
export const CURRENT = 'current';

const SUBSCRIPTIONS = `
type Subscription {
  "The service right now (backlog, waiting customers, agents online, SLA at risk), pushed at most once a second when it changed (ANALYST, SUPERVISOR and up; analytics:read)."
  liveMetrics: LiveMetrics @liveInitial(id: "${CURRENT}")
}
`;

const mayRead = (identity: Identity | undefined) =>
  !!identity?.tenantId && (identity.apiKeyId ? identity.scopes.includes('analytics:read') : identity.roles.some((r) => READERS.includes(r)));

/** The analytics subgraph schema (built once per process: type-graphql's metadata is global). */
export function analyticsSchema(): Promise<SubgraphSchema> {
  built ??= buildFederatedSchema({
    resolvers: [MetricsResolver],
    orphanedTypes: [PageInfo, LiveMetrics],
    references: {
      LiveMetrics: {
        __resolveReference: (ref: Record<string, unknown>, ctx: AnalyticsContext) => {
          if (!mayRead(ctx.identity)) return null;
          if (ref.id === CURRENT) return ctx.live().current(ctx.identity.tenantId!);
          return liveMetricsReference(ref, ctx.identity);
        },
      },
    },
    extraSdl: `${LIVE_INITIAL_SDL}\n${SUBSCRIPTIONS}`,
  });
  return built;
}
