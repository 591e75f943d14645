import { Migration } from '@mikro-orm/migrations';

/**
 * An API key is a sender of its own: messages record the key that sent them
 * (`sender_key_id`), and an idempotency key is unique per (conversation, author kind, author
 * id, sender key, key). Before, every API key of a tenant shared the null author id, so two
 * integrations posting customer messages with the same key into one conversation (their own
 * message ids, say "1") lost the second message: it was answered as a retry of the first.
 * Earlier rows keep a null sender key and their old uniqueness among themselves.
 */
export class Migration20261202000006MessageKeysPerApiKey extends Migration {
  override async up(): Promise<void> {
    const s = this.config.get('schema');
    this.addSql(`alter table "${s}"."message" add column "sender_key_id" uuid null`);
    this.addSql(`create unique index "message_sender_key_idempotency_key" on "${s}"."message" ("tenant_id", "conversation_id", "author_kind", "author_id", "sender_key_id", "idempotency_key") nulls not distinct where "idempotency_key" is not null`);
    this.addSql(`drop index "${s}"."message_sender_idempotency_key"`);
  }
}
