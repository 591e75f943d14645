import { Migration } from '@mikro-orm/migrations';

export class Migration20261201200721AnalyticsItems extends Migration {
  override async up(): Promise<void> {
    const s = this.config.get('schema');
    this.addSql(`create table "${s}"."analytics_item" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "name" text not null,
      "created_at" timestamptz not null
    )`);
    this.addSql(`create index "analytics_item_list_idx" on "${s}"."analytics_item" ("tenant_id", "created_at", "id")`);
  }
}
