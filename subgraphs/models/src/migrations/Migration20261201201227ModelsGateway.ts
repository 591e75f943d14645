import { Migration } from '@mikro-orm/migrations';

export class Migration20261201201227ModelsGateway extends Migration {
  override async up(): Promise<void> {
    const s = this.config.get('schema');
    this.addSql(`create table "${s}"."provider" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "name" text not null,
      "kind" text not null,
      "base_url" text null,
      "api_key_sealed" text null,
      "timeout_ms" int not null,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null
    )`);
    this.addSql(`create unique index "provider_name_uq" on "${s}"."provider" ("tenant_id", lower("name"))`);
    this.addSql(`create table "${s}"."model" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "provider_id" uuid not null references "${s}"."provider" ("id") on delete cascade,
      "name" text not null,
      "purpose" text not null,
      "context_window" int not null,
      "input_price_per1k" double precision not null,
      "output_price_per1k" double precision not null,
      "quality" int not null,
      "created_at" timestamptz not null
    )`);
    this.addSql(`create index "model_tenant_idx" on "${s}"."model" ("tenant_id", "provider_id")`);
    this.addSql(`create table "${s}"."routing_policy" (
      "id" uuid primary key,
      "tenant_id" uuid not null unique,
      "strategy" text not null,
      "chain" jsonb not null,
      "max_cost_per_request_usd" double precision null,
      "cache_ttl_seconds" int not null,
      "monthly_budget_usd" double precision null,
      "created_at" timestamptz not null
    )`);
    // What a tenant spent this month, in micro-dollars: reservations add, settlements correct.
    this.addSql(`create table "${s}"."budget" (
      "tenant_id" uuid not null,
      "month" text not null,
      "spent_micros" bigint not null default 0,
      primary key ("tenant_id", "month")
    )`);
    this.addSql(`create table "${s}"."usage" (
      "tenant_id" uuid not null,
      "day" date not null,
      "model_id" text not null,
      "model" text not null,
      "provider" text not null,
      "assistant" text not null,
      "calls" int not null default 0,
      "input_tokens" bigint not null default 0,
      "output_tokens" bigint not null default 0,
      "cost_usd" double precision not null default 0,
      "cache_hits" int not null default 0,
      "pii_masked" int not null default 0,
      primary key ("tenant_id", "day", "model_id", "assistant")
    )`);
  }
}
