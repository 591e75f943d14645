import { kitMigrations, type MigrationEntry } from '@switchboard/kit';
import { Migration20261201203000AnalyticsRollups } from './Migration20261201203000AnalyticsRollups';
import { Migration20261202220000AnalyticsSketches } from './Migration20261202220000AnalyticsSketches';

/** In order; the kit's audit log, outbox and dead letters (its consumer group's) come first. */
export const migrations: MigrationEntry[] = [
  ...kitMigrations,
  { name: 'Migration20261201203000AnalyticsRollups', class: Migration20261201203000AnalyticsRollups },
  { name: 'Migration20261202220000AnalyticsSketches', class: Migration20261202220000AnalyticsSketches },
];
