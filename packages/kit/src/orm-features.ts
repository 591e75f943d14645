import { Migration00000000000000AuditLog, auditFeature } from './audit';
import type { MigrationEntry, OrmFeature } from './db';
import { Migration00000000000002DeadLetters } from './dead-letters';
import { directoryFeature } from './directory';
import { tenantOwnedFeature } from './entity';
import { Migration00000000000001Events, outboxFeature } from './events';

/**
 * What every service's ORM carries: the base entities, the audit log, the outbox and
 * consumer bookkeeping. `createOrm({ features: kitFeatures, … })`; db.ts itself imports
 * none of these.
 */
export const kitFeatures: readonly OrmFeature[] = [tenantOwnedFeature, directoryFeature, auditFeature, outboxFeature];

/**
 * The kit's own tables, first in every subgraph's migrations (`[...kitMigrations, …]`): the
 * audit log, the outbox and processed-event bookkeeping, the dead letters. One list, so a
 * new kit table reaches every subgraph (and the template) without a hand edit in each.
 */
export const kitMigrations: readonly MigrationEntry[] = [
  { name: 'Migration00000000000000AuditLog', class: Migration00000000000000AuditLog },
  { name: 'Migration00000000000001Events', class: Migration00000000000001Events },
  { name: 'Migration00000000000002DeadLetters', class: Migration00000000000002DeadLetters },
];
