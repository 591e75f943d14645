import { Migration } from '@mikro-orm/migrations';

export class Migration20261201223000Assistants extends Migration {
  override async up(): Promise<void> {
    const s = this.config.get('schema');
    this.addSql(`create table "${s}"."assistant" (
      "id" uuid primary key, "tenant_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null,
      "name" text not null, "instructions" text not null, "knowledge_tags" text[] not null, "channels" text[] not null,
      "routing" text null, "handoff" jsonb not null, "latest_version" int not null, "active_version" int not null,
      "active" boolean not null default false, "candidate_version" int null, "candidate_share" int not null default 0
    )`);
    this.addSql(`create index "assistant_tenant_idx" on "${s}"."assistant" ("tenant_id", "created_at", "id")`);
    this.addSql(`create table "${s}"."assistant_version" (
      "assistant_id" uuid not null, "version" int not null,
      "tenant_id" uuid not null, "config" jsonb not null, "created_at" timestamptz not null,
      primary key ("assistant_id", "version")
    )`);
    this.addSql(`create table "${s}"."assistant_conversation" (
      "conversation_id" uuid primary key, "tenant_id" uuid not null, "assistant_id" uuid null, "version" int null,
      "bot_turns" int not null default 0, "handed_off" boolean not null default false, "handoff_reason" text null,
      "handoff_summary" text null, "resolved_by_bot" boolean not null default false, "cost_usd" double precision not null default 0,
      "csat" int null, "suggestion" jsonb null, "started_at" timestamptz not null
    )`);
    this.addSql(`create index "assistant_conversation_stats_idx" on "${s}"."assistant_conversation" ("tenant_id", "assistant_id", "version")`);
    this.addSql(`create table "${s}"."ai_turn" (
      "key" text primary key, "posted" boolean not null default false, "tenant_id" uuid not null, "conversation_id" uuid not null, "assistant_id" uuid not null,
      "assistant_version" int not null, "reply_to" uuid not null, "model" text not null, "confidence" double precision not null,
      "cache_hit" boolean not null, "cost_usd" double precision not null, "input_tokens" int not null, "output_tokens" int not null,
      "citations" jsonb not null, "created_at" timestamptz not null
    )`);
    this.addSql(`create index "ai_turn_conversation_idx" on "${s}"."ai_turn" ("tenant_id", "conversation_id")`);
    this.addSql(`create index "ai_turn_reply_idx" on "${s}"."ai_turn" ("tenant_id", "reply_to")`);
    this.addSql(`create table "${s}"."ticket_triage" (
      "ticket_id" uuid primary key, "tenant_id" uuid not null, "category" text null, "priority" text null,
      "confidence" double precision not null, "decided_by" text not null, "applied" boolean not null, "created_at" timestamptz not null
    )`);
    this.addSql(`create table "${s}"."triage_model" (
      "tenant_id" uuid primary key, "model" jsonb not null, "trained_on" int not null, "labelled_since" int not null default 0,
      "trained_at" timestamptz not null
    )`);
  }
}
