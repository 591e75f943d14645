import { commonEnv, env, parseConfig, type Config } from '@switchboard/kit';

export const ticketsEnv = {
  ...commonEnv,
  TICKETS_PORT: env.port(4003),
  /** How often the SLA check marks tickets at risk or breached. 0 turns the timer off (tests drive it). */
  SLA_CHECK_INTERVAL_MS: env.int({ default: 30_000, min: 0 }),
  /** Default share of an SLA window left at which a ticket is AT_RISK, when its policy sets none. */
  SLA_AT_RISK_SHARE: env.int({ default: 25, min: 1, max: 99 }),
};

export type TicketsConfig = Config<typeof ticketsEnv>;

export function readTicketsConfig(source: Record<string, string | undefined> = process.env): TicketsConfig {
  return parseConfig(ticketsEnv, source);
}
