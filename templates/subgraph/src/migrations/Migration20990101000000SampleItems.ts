import { Migration } from '@mikro-orm/migrations';

export class Migration20990101000000SampleItems extends Migration {
  override async up(): Promise<void> {
    const s = this.config.get('schema');
    this.addSql(`create table "${s}"."sample_item" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "name" text not null,
      "created_at" timestamptz not null
    )`);
    this.addSql(`create index "sample_item_list_idx" on "${s}"."sample_item" ("tenant_id", "created_at", "id")`);
  }
}
