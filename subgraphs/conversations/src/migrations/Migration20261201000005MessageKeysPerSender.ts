import { Migration } from '@mikro-orm/migrations';

/**
 * Idempotency keys belong to the sender: unique per (conversation, author kind, author id,
 * key) instead of per (tenant, key), so an agent's key can never swallow a customer's
 * message that happens to carry the same one. API-key senders have no author id: NULLS NOT
 * DISTINCT (PostgreSQL 15) makes their null author ids equal, so their retries still match.
 */
export class Migration20261201000005MessageKeysPerSender extends Migration {
  override async up(): Promise<void> {
    const s = this.config.get('schema');
    this.addSql(`create unique index "message_sender_idempotency_key" on "${s}"."message" ("tenant_id", "conversation_id", "author_kind", "author_id", "idempotency_key") nulls not distinct where "idempotency_key" is not null`);
    this.addSql(`drop index "${s}"."message_tenant_idempotency_key"`);
  }
}
