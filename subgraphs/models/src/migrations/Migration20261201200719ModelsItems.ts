import { Migration } from '@mikro-orm/migrations';

export class Migration20261201200719ModelsItems extends Migration {
  override async up(): Promise<void> {
    const s = this.config.get('schema');
    this.addSql(`create table "${s}"."models_item" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "name" text not null,
      "created_at" timestamptz not null
    )`);
    this.addSql(`create index "models_item_list_idx" on "${s}"."models_item" ("tenant_id", "created_at", "id")`);
  }
}
