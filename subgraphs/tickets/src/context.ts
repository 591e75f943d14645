import type { EntityCache, EntityManager, Identity } from '@switchboard/kit';
import type { TicketsConfig } from './env';
import type { TicketsLoaders } from './loaders';

export interface TicketsContext {
  identity: Identity;
  em: EntityManager;
  config: TicketsConfig;
  loaders: TicketsLoaders;
  /** Injectable so tests move time instead of sleeping. */
  clock: () => Date;
}

export type { EntityCache };
