import { kitMigrations, type MigrationEntry } from '@switchboard/kit';
import { Migration20261201203000Webhooks } from './Migration20261201203000Webhooks';
import { Migration20261201204000Channels } from './Migration20261201204000Channels';

/** In order; the kit's audit log and outbox come first, as in every subgraph. */
export const migrations: MigrationEntry[] = [
  ...kitMigrations,
  { name: 'Migration20261201203000Webhooks', class: Migration20261201203000Webhooks },
  { name: 'Migration20261201204000Channels', class: Migration20261201204000Channels },
];
