import type { EntityCache, EntityManager, Identity, LiveEvent } from '@switchboard/kit';
import type { TicketsConfig } from './env';
import type { TicketsLoaders } from './loaders';

export interface TicketsContext {
  identity: Identity;
  em: EntityManager;
  config: TicketsConfig;
  loaders: TicketsLoaders;
  /** Injectable so tests move time instead of sleeping. */
  clock: () => Date;
  /** Tells the caller's tenant's live subscribers (through the gateway) that something happened. */
  live(event: LiveEvent): Promise<unknown>;
}

export type { EntityCache };
