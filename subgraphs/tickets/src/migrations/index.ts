import { kitMigrations, type MigrationEntry } from '@switchboard/kit';
import { Migration20261123000002Tickets } from './Migration20261123000002Tickets';
import { Migration20261201000001InternalNoteHistory } from './Migration20261201000001InternalNoteHistory';

export const migrations: MigrationEntry[] = [
  ...kitMigrations,
  { name: 'Migration20261123000002Tickets', class: Migration20261123000002Tickets },
  { name: 'Migration20261201000001InternalNoteHistory', class: Migration20261201000001InternalNoteHistory },
];
