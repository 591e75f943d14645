import { kitMigrations, type MigrationEntry } from '@switchboard/kit';
import { Migration20261201201227ModelsGateway } from './Migration20261201201227ModelsGateway';

/** In order; the kit's audit log and outbox come first, as in every subgraph. */
export const migrations: MigrationEntry[] = [
  ...kitMigrations,
  { name: 'Migration20261201201227ModelsGateway', class: Migration20261201201227ModelsGateway },
];
