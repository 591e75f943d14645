import { Migration } from '@mikro-orm/migrations';

/** CSAT: one rating per conversation (a second one replaces it), by the customer's channel key or an agent. */
export class Migration20261201210000ConversationRatings extends Migration {
  override async up(): Promise<void> {
    const s = this.config.get('schema');
    this.addSql(`create table "${s}"."conversation_rating" (
      "tenant_id" uuid not null,
      "conversation_id" uuid not null,
      "score" smallint not null check ("score" between 1 and 5),
      "comment" text null,
      "by_kind" text not null,
      "by_id" uuid null,
      "rated_at" timestamptz not null,
      primary key ("tenant_id", "conversation_id")
    )`);
  }
}
