import { Migration } from '@mikro-orm/migrations';

export class Migration20261201203000Webhooks extends Migration {
  override async up(): Promise<void> {
    const s = this.config.get('schema');
    this.addSql(`create table "${s}"."webhook_endpoint" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "url" text not null,
      "events" jsonb not null,
      "status" text not null,
      "description" text null,
      "selection" text null,
      "consecutive_failures" integer not null default 0,
      "secret_sealed" text not null,
      "previous_secret_sealed" text null,
      "previous_secret_expires_at" timestamptz null,
      "created_by_user_id" uuid null,
      "owner" jsonb null,
      "created_at" timestamptz not null
    )`);
    this.addSql(`create index "webhook_endpoint_list_idx" on "${s}"."webhook_endpoint" ("tenant_id", "created_at", "id")`);
    this.addSql(`create table "${s}"."webhook_delivery" (
      "id" uuid primary key,
      "seq" bigint generated always as identity,
      "tenant_id" uuid not null,
      "endpoint_id" uuid not null references "${s}"."webhook_endpoint" ("id") on delete cascade,
      "event_id" uuid not null,
      "event_type" text not null,
      "status" text not null,
      "order_key" text not null,
      "event" jsonb not null,
      "attempt_log" jsonb not null default '[]',
      "next_attempt_at" timestamptz not null,
      "locked_until" timestamptz null,
      "redelivery_of" uuid null,
      "created_at" timestamptz not null
    )`);
    // One delivery per (endpoint, event) whatever the redeliveries of the stream; redeliverWebhook adds its own rows.
    this.addSql(`create unique index "webhook_delivery_once_idx" on "${s}"."webhook_delivery" ("endpoint_id", "event_id") where "redelivery_of" is null`);
    this.addSql(`create index "webhook_delivery_list_idx" on "${s}"."webhook_delivery" ("tenant_id", "endpoint_id", "created_at", "id")`);
    this.addSql(`create index "webhook_delivery_open_idx" on "${s}"."webhook_delivery" ("endpoint_id", "order_key", "seq") where "status" in ('PENDING', 'RETRYING')`);
  }
}
