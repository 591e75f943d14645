import { kitMigrations, type MigrationEntry } from '@switchboard/kit';
import { Migration20261201203000Webhooks } from './Migration20261201203000Webhooks';
import { Migration20261201204000Channels } from './Migration20261201204000Channels';
import { Migration20261201220000Crm } from './Migration20261201220000Crm';

/** In order; the kit's audit log and outbox come first, as in every subgraph. */
export const migrations: MigrationEntry[] = [
  ...kitMigrations,
  { name: 'Migration20261201203000Webhooks', class: Migration20261201203000Webhooks },
  { name: 'Migration20261201204000Channels', class: Migration20261201204000Channels },
  { name: 'Migration20261201220000Crm', class: Migration20261201220000Crm },
];
