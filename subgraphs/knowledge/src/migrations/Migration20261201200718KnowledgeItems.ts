import { Migration } from '@mikro-orm/migrations';

export class Migration20261201200718KnowledgeItems extends Migration {
  override async up(): Promise<void> {
    const s = this.config.get('schema');
    this.addSql(`create table "${s}"."knowledge_item" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "name" text not null,
      "created_at" timestamptz not null
    )`);
    this.addSql(`create index "knowledge_item_list_idx" on "${s}"."knowledge_item" ("tenant_id", "created_at", "id")`);
  }
}
