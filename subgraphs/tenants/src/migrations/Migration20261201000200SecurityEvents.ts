import { Migration } from '@mikro-orm/migrations';

/** Security events the gateway reports (a key or user blocked by threat detection), read as `securityEvents`. */
export class Migration20261201000200SecurityEvents extends Migration {
  override async up(): Promise<void> {
    const s = this.config.get('schema');
    this.addSql(`create table "${s}"."security_event" (
      "id" uuid primary key,
      "tenant_id" uuid not null references "${s}"."tenant" ("id"),
      "kind" text not null,
      "subject_kind" text not null,
      "subject_id" text not null,
      "reason" text not null,
      "score" integer not null,
      "ip" text null,
      "blocked_until" timestamptz not null,
      "created_at" timestamptz not null
    )`);
    this.addSql(`create index "security_event_tenant_created_idx" on "${s}"."security_event" ("tenant_id", "created_at", "id")`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "${this.config.get('schema')}"."security_event"`);
  }
}
