import { Migration } from '@mikro-orm/migrations';

export class Migration20261201220000Crm extends Migration {
  override async up(): Promise<void> {
    const s = this.config.get('schema');
    this.addSql(`create table "${s}"."crm_connector" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "provider" text not null,
      "status" text not null,
      "access_token_sealed" text not null,
      "pulled_until" timestamptz null,
      "last_sync_at" timestamptz null,
      "last_error" text null,
      "locked_until" timestamptz null,
      "created_at" timestamptz not null
    )`);
    this.addSql(`create index "crm_connector_list_idx" on "${s}"."crm_connector" ("tenant_id", "created_at", "id")`);
    this.addSql(`create table "${s}"."crm_contact_link" (
      "connector_id" uuid not null references "${s}"."crm_connector" ("id") on delete cascade,
      "contact_id" uuid not null,
      "tenant_id" uuid not null,
      "external_id" text not null,
      "synced_hash" text not null,
      "synced_at" timestamptz not null,
      primary key ("connector_id", "contact_id")
    )`);
    this.addSql(`create unique index "crm_contact_link_external_idx" on "${s}"."crm_contact_link" ("connector_id", "external_id")`);
  }
}
