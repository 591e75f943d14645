import { Migration00000000000000AuditLog, Migration00000000000001Events, type MigrationEntry } from '@switchboard/kit';
import { Migration20261201201227ModelsGateway } from './Migration20261201201227ModelsGateway';

/** In order; the kit's audit log and outbox come first, as in every subgraph. */
export const migrations: MigrationEntry[] = [
  { name: 'Migration00000000000000AuditLog', class: Migration00000000000000AuditLog },
  { name: 'Migration00000000000001Events', class: Migration00000000000001Events },
  { name: 'Migration20261201201227ModelsGateway', class: Migration20261201201227ModelsGateway },
];
