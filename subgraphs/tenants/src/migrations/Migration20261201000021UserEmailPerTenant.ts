import { Migration } from '@mikro-orm/migrations';

/**
 * Emails are unique per tenant, not across Switchboard: one tenant can no longer learn
 * (through CONFLICT) or squat another tenant's addresses. `login` finds every account
 * with an address through the plain email index, and a tenant slug picks one of them.
 */
export class Migration20261201000021UserEmailPerTenant extends Migration {
  override async up(): Promise<void> {
    const s = this.config.get('schema');
    this.addSql(`alter table "${s}"."user" drop constraint if exists "user_email_key"`);
    this.addSql(`create unique index "user_tenant_email_key" on "${s}"."user" ("tenant_id", "email")`);
    this.addSql(`create index "user_email_idx" on "${s}"."user" ("email")`);
  }

  override async down(): Promise<void> {
    const s = this.config.get('schema');
    this.addSql(`drop index "${s}"."user_email_idx"`);
    this.addSql(`drop index "${s}"."user_tenant_email_key"`);
    this.addSql(`alter table "${s}"."user" add constraint "user_email_key" unique ("email")`);
  }
}
