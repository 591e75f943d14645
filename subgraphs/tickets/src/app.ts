import { publishLive, startSubgraph, type RunningSubgraph, type SubgraphDeps } from '@switchboard/kit';
import type { TicketsContext } from './context';
import type { TicketsConfig } from './env';
import { createLoaders } from './loaders';
import { migrations } from './migrations';
import { Agent } from './modules/agents/agent.entity';
import { consumeUserDirectory } from './modules/agents/agents.consumer';
import { consumeEscalations } from './modules/escalations/escalations.consumer';
import { startSlaMonitor } from './modules/sla/sla-monitor';
import { SlaPolicy } from './modules/sla/sla-policy.entity';
import { TicketComment } from './modules/tickets/ticket-comment.entity';
import { TicketHistory } from './modules/tickets/ticket-history.entity';
import { Ticket } from './modules/tickets/ticket.entity';
import { ticketsSchema } from './schema';

export const entities = [Ticket, TicketHistory, TicketComment, SlaPolicy, Agent];

export type TicketsApp = RunningSubgraph;

export interface TicketsDeps extends SubgraphDeps {
  /** Injectable clock: tests move time instead of sleeping. */
  clock?: () => Date;
}

/** The tickets subgraph: database (migrated), schema, directory consumer, SLA monitor, HTTP server. */
export async function bootstrap(config: TicketsConfig & { DATABASE_URL: string }, deps: TicketsDeps = {}): Promise<TicketsApp> {
  const clock = deps.clock ?? (() => new Date());
  return startSubgraph<TicketsContext>({
    name: 'tickets',
    config,
    port: config.TICKETS_PORT,
    deps,
    entities,
    migrations,
    cached: ['Ticket'],
    schema: ticketsSchema,
    background: ({ orm, events, log, redis }) => [
      consumeUserDirectory(orm, events),
      consumeEscalations(orm, events, clock, config.SLA_AT_RISK_SHARE),
      startSlaMonitor(orm, { intervalMs: config.SLA_CHECK_INTERVAL_MS, defaultAtRiskPercent: config.SLA_AT_RISK_SHARE, clock, logger: log, redis }),
    ],
    context: (identity, em, { cache, redis }) => ({
      identity,
      em,
      config,
      clock,
      loaders: createLoaders(cache, em, identity),
      live: (event) => (identity.tenantId ? publishLive(redis, identity.tenantId, event) : Promise.resolve(false)),
    }),
  });
}

export { ticketsEnv, readTicketsConfig, type TicketsConfig } from './env';
export { ticketsSchema } from './schema';
export { runSlaCheck } from './modules/sla/sla-monitor';
export { seedDemoTickets } from './seed';
