import { Migration } from '@mikro-orm/migrations';

/** Contacts, conversations and messages, in the subgraph's own schema. */
export class Migration20261123000003Conversations extends Migration {
  override async up(): Promise<void> {
    const s = this.config.get('schema');
    this.addSql(`create table "${s}"."contact" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "name" text null,
      "email" text null,
      "phone" text null,
      "external_ids" jsonb not null default '{}',
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null
    )`);
    this.addSql(`create index "contact_tenant_created_idx" on "${s}"."contact" ("tenant_id", "created_at", "id")`);
    this.addSql(`create table "${s}"."conversation" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "channel" text not null,
      "contact_id" uuid not null references "${s}"."contact" ("id") deferrable initially deferred,
      "status" text not null,
      "assignee_id" text null,
      "tags" jsonb not null default '[]',
      "priority" text not null,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      "last_message_at" timestamptz not null,
      "unread_count" integer not null default 0,
      "version" integer not null default 1
    )`);
    // The queue: newest lastMessageAt first, keyset on (last_message_at, id).
    this.addSql(`create index "conversation_tenant_last_message_idx" on "${s}"."conversation" ("tenant_id", "last_message_at", "id")`);
    this.addSql(`create index "conversation_tenant_status_idx" on "${s}"."conversation" ("tenant_id", "status")`);
    this.addSql(`create index "conversation_tenant_assignee_idx" on "${s}"."conversation" ("tenant_id", "assignee_id", "last_message_at")`);
    this.addSql(`create index "conversation_contact_idx" on "${s}"."conversation" ("contact_id")`);
    this.addSql(`create table "${s}"."message" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "conversation_id" uuid not null references "${s}"."conversation" ("id") on delete cascade deferrable initially deferred,
      "author_kind" text not null,
      "author_id" text null,
      "text" text not null,
      "attachments" jsonb not null default '[]',
      "metadata" jsonb not null default '{}',
      "idempotency_key" text null,
      "created_at" timestamptz not null
    )`);
    this.addSql(`create index "message_tenant_conversation_created_idx" on "${s}"."message" ("tenant_id", "conversation_id", "created_at", "id")`);
    // Idempotent sends: one message per (tenant, key), whatever the concurrency.
    this.addSql(`create unique index "message_tenant_idempotency_key" on "${s}"."message" ("tenant_id", "idempotency_key") where "idempotency_key" is not null`);
  }
}
