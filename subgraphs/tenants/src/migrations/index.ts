import { kitMigrations, type MigrationEntry } from '@switchboard/kit';
import { Migration20261123000001Tenants } from './Migration20261123000001Tenants';
import { Migration20261201000021UserEmailPerTenant } from './Migration20261201000021UserEmailPerTenant';
import { Migration20261201000200SecurityEvents } from './Migration20261201000200SecurityEvents';

export const migrations: MigrationEntry[] = [
  ...kitMigrations,
  { name: 'Migration20261123000001Tenants', class: Migration20261123000001Tenants },
  { name: 'Migration20261201000021UserEmailPerTenant', class: Migration20261201000021UserEmailPerTenant },
  { name: 'Migration20261201000200SecurityEvents', class: Migration20261201000200SecurityEvents },
];
