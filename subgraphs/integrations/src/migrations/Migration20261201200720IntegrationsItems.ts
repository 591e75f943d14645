import { Migration } from '@mikro-orm/migrations';

export class Migration20261201200720IntegrationsItems extends Migration {
  override async up(): Promise<void> {
    const s = this.config.get('schema');
    this.addSql(`create table "${s}"."integrations_item" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "name" text not null,
      "created_at" timestamptz not null
    )`);
    this.addSql(`create index "integrations_item_list_idx" on "${s}"."integrations_item" ("tenant_id", "created_at", "id")`);
  }
}
