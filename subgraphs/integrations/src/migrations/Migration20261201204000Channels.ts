import { Migration } from '@mikro-orm/migrations';

export class Migration20261201204000Channels extends Migration {
  override async up(): Promise<void> {
    const s = this.config.get('schema');
    this.addSql(`create table "${s}"."channel_connector" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "channel" text not null,
      "external_account_id" text not null,
      "status" text not null,
      "app_secret_sealed" text not null,
      "verify_token_sealed" text null,
      "access_token_sealed" text null,
      "created_at" timestamptz not null
    )`);
    this.addSql(`create index "channel_connector_list_idx" on "${s}"."channel_connector" ("tenant_id", "created_at", "id")`);
    this.addSql(`create table "${s}"."channel_thread" (
      "connector_id" uuid not null references "${s}"."channel_connector" ("id") on delete cascade,
      "external_thread_id" text not null,
      "tenant_id" uuid not null,
      "conversation_id" uuid not null,
      "created_at" timestamptz not null,
      primary key ("connector_id", "external_thread_id")
    )`);
    this.addSql(`create index "channel_thread_conversation_idx" on "${s}"."channel_thread" ("tenant_id", "conversation_id")`);
  }
}
