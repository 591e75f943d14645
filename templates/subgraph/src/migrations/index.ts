import { kitMigrations, type MigrationEntry } from '@switchboard/kit';
import { Migration20990101000000SampleItems } from './Migration20990101000000SampleItems';

/** In order; the kit's audit log and outbox come first, as in every subgraph. */
export const migrations: MigrationEntry[] = [
  ...kitMigrations,
  { name: 'Migration20990101000000SampleItems', class: Migration20990101000000SampleItems },
];
