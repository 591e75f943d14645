import { Migration } from '@mikro-orm/migrations';
import { directoryTableSql } from '@switchboard/kit';

export class Migration20261123000002Tickets extends Migration {
  override async up(): Promise<void> {
    const s = this.config.get('schema');
    this.addSql(`create table "${s}"."ticket_counter" (
      "tenant_id" uuid primary key,
      "last_number" integer not null
    )`);
    this.addSql(`create table "${s}"."sla_policy" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "priority" text not null,
      "first_response_minutes" integer not null,
      "resolution_minutes" integer not null,
      "business_hours" jsonb null,
      "at_risk_percent" integer null,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      constraint "sla_policy_tenant_priority_key" unique ("tenant_id", "priority")
    )`);
    this.addSql(`create table "${s}"."ticket" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "number" integer not null,
      "subject" text not null,
      "description" text not null,
      "status" text not null,
      "priority" text not null,
      "category" text null,
      "tags" jsonb not null default '[]',
      "requester_name" text not null,
      "requester_email" text not null,
      "assignee_id" uuid null,
      "conversation_id" uuid null,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      "first_responded_at" timestamptz null,
      "resolved_at" timestamptz null,
      "closed_at" timestamptz null,
      "sla_policy_id" uuid null references "${s}"."sla_policy" ("id") on delete set null deferrable initially deferred,
      "first_response_due_at" timestamptz null,
      "resolution_due_at" timestamptz null,
      "sla_state" text not null default 'ON_TRACK',
      "sla_breached_at" timestamptz null,
      "version" integer not null default 1,
      constraint "ticket_tenant_number_key" unique ("tenant_id", "number")
    )`);
    this.addSql(`create index "ticket_tenant_created_idx" on "${s}"."ticket" ("tenant_id", "created_at", "id")`);
    this.addSql(`create index "ticket_tenant_status_idx" on "${s}"."ticket" ("tenant_id", "status")`);
    this.addSql(`create index "ticket_tenant_assignee_idx" on "${s}"."ticket" ("tenant_id", "assignee_id", "status")`);
    this.addSql(`create index "ticket_open_sla_idx" on "${s}"."ticket" ("sla_state") where "status" not in ('RESOLVED', 'CLOSED') and "sla_policy_id" is not null`);
    this.addSql(`create table "${s}"."ticket_history" (
      "id" uuid primary key,
      "seq" bigserial not null,
      "tenant_id" uuid not null,
      "ticket_id" uuid not null references "${s}"."ticket" ("id") on delete cascade deferrable initially deferred,
      "actor_kind" text not null,
      "actor_id" uuid null,
      "field" text not null,
      "from" jsonb null,
      "to" jsonb null,
      "created_at" timestamptz not null
    )`);
    this.addSql(`create index "ticket_history_ticket_idx" on "${s}"."ticket_history" ("tenant_id", "ticket_id", "seq")`);
    this.addSql(`create table "${s}"."ticket_comment" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "ticket_id" uuid not null references "${s}"."ticket" ("id") on delete cascade deferrable initially deferred,
      "author_kind" text not null,
      "author_id" uuid null,
      "body" text not null,
      "internal" boolean not null,
      "created_at" timestamptz not null
    )`);
    this.addSql(`create index "ticket_comment_ticket_idx" on "${s}"."ticket_comment" ("tenant_id", "ticket_id", "created_at")`);
    // The agent directory: the same table as conversations', from the kit.
    for (const sql of directoryTableSql(s)) this.addSql(sql);
  }
}
