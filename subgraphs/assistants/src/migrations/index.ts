import { kitMigrations, type MigrationEntry } from '@switchboard/kit';
import { Migration20261201223000Assistants } from './Migration20261201223000Assistants';

/** In order; the kit's audit log and outbox come first, as in every subgraph. */
export const migrations: MigrationEntry[] = [...kitMigrations, { name: 'Migration20261201223000Assistants', class: Migration20261201223000Assistants }];
