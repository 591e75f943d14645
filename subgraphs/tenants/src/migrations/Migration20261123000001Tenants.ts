import { Migration } from '@mikro-orm/migrations';

export class Migration20261123000001Tenants extends Migration {
  override async up(): Promise<void> {
    const s = this.config.get('schema');
    this.addSql(`create table "${s}"."tenant" (
      "id" uuid primary key,
      "slug" text not null,
      "name" text not null,
      "plan" text not null,
      "status" text not null default 'ACTIVE',
      "requests_per_minute" integer not null,
      "monthly_token_budget" bigint not null,
      "seats" integer not null,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      constraint "tenant_slug_key" unique ("slug")
    )`);
    this.addSql(`create table "${s}"."user" (
      "id" uuid primary key,
      "tenant_id" uuid not null references "${s}"."tenant" ("id"),
      "email" text not null,
      "name" text not null,
      "role" text not null,
      "skills" jsonb not null default '[]',
      "password_hash" text not null,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      "version" integer not null default 1,
      constraint "user_email_key" unique ("email")
    )`);
    this.addSql(`create index "user_tenant_created_idx" on "${s}"."user" ("tenant_id", "created_at", "id")`);
    this.addSql(`create index "user_tenant_role_idx" on "${s}"."user" ("tenant_id", "role")`);
    this.addSql(`create table "${s}"."api_key" (
      "id" uuid primary key,
      "tenant_id" uuid not null references "${s}"."tenant" ("id"),
      "name" text not null,
      "prefix" text not null,
      "secret_hash" text not null,
      "kind" text not null,
      "scopes" jsonb not null default '[]',
      "created_by" uuid null,
      "created_at" timestamptz not null,
      "last_used_at" timestamptz null,
      "expires_at" timestamptz null,
      "revoked_at" timestamptz null,
      constraint "api_key_secret_hash_key" unique ("secret_hash")
    )`);
    this.addSql(`create index "api_key_tenant_created_idx" on "${s}"."api_key" ("tenant_id", "created_at", "id")`);
  }
}
