import { Migration00000000000000AuditLog, Migration00000000000001Events, type MigrationEntry } from '@switchboard/kit';
import { Migration20990101000000SampleItems } from './Migration20990101000000SampleItems';

/** In order; the kit's audit log and outbox come first, as in every subgraph. */
export const migrations: MigrationEntry[] = [
  { name: 'Migration00000000000000AuditLog', class: Migration00000000000000AuditLog },
  { name: 'Migration00000000000001Events', class: Migration00000000000001Events },
  { name: 'Migration20990101000000SampleItems', class: Migration20990101000000SampleItems },
];
