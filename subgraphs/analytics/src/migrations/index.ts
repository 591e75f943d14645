import { Migration00000000000000AuditLog, Migration00000000000001Events, Migration00000000000002DeadLetters, type MigrationEntry } from '@switchboard/kit';
import { Migration20261201203000AnalyticsRollups } from './Migration20261201203000AnalyticsRollups';

/** In order; the kit's audit log, outbox and dead letters (its consumer group's) come first. */
export const migrations: MigrationEntry[] = [
  { name: 'Migration00000000000000AuditLog', class: Migration00000000000000AuditLog },
  { name: 'Migration00000000000001Events', class: Migration00000000000001Events },
  { name: 'Migration00000000000002DeadLetters', class: Migration00000000000002DeadLetters },
  { name: 'Migration20261201203000AnalyticsRollups', class: Migration20261201203000AnalyticsRollups },
];
