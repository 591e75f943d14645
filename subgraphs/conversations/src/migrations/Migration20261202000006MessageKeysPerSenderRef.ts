import { Migration } from '@mikro-orm/migrations';

/**
 * Every sender that is not a person is a sender of its own: messages record who sent them
 * (`sender_ref`: `key:<api key id>`, `service:<name>` — an integration's connector, the
 * assistant), and an idempotency key is unique per (conversation, author kind, author id,
 * sender ref, key). Before, every API key and service of a tenant shared the null author id,
 * so two integrations posting customer messages with the same key (their own message ids,
 * say "1") into one conversation lost the second: it was answered as a retry of the first.
 * A person's messages keep a null sender ref (their author id names them), as do the rows
 * written before this migration.
 */
export class Migration20261202000006MessageKeysPerSenderRef extends Migration {
  override async up(): Promise<void> {
    const s = this.config.get('schema');
    this.addSql(`alter table "${s}"."message" add column "sender_ref" text null`);
    this.addSql(`create unique index "message_sender_ref_idempotency_key" on "${s}"."message" ("tenant_id", "conversation_id", "author_kind", "author_id", "sender_ref", "idempotency_key") nulls not distinct where "idempotency_key" is not null`);
    this.addSql(`drop index "${s}"."message_sender_idempotency_key"`);
  }
}
