import { Migration } from '@mikro-orm/migrations';

export class Migration20261123000004ConversationAgents extends Migration {
  override async up(): Promise<void> {
    const s = this.config.get('schema');
    this.addSql(`create table "${s}"."agent" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "name" text not null,
      "role" text not null,
      "skills" jsonb not null default '[]',
      "updated_at" timestamptz not null
    )`);
    this.addSql(`create index "agent_tenant_role_idx" on "${s}"."agent" ("tenant_id", "role")`);
  }
}
