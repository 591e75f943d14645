import { Migration } from '@mikro-orm/migrations';

/**
 * Articles, their versions and ratings, and what search reads: a weighted tsvector per
 * article (written with the article) and embedded chunks per article version (written by
 * the embedding consumer). Embeddings are sparse `real[]` (the non-zero components `vals` at
 * `dims`, 0-based): the PostgreSQL 15 in production has no pgvector, and the LOCAL vectors are
 * ~80 % zeros, so the dot product with the question's dense vector reads a quarter as much.
 * `unaccent` and `pg_trgm` are created where the server has them; search degrades without.
 */
export class Migration20261201210000Articles extends Migration {
  override async up(): Promise<void> {
    const s = this.config.get('schema');
    for (const ext of ['unaccent', 'pg_trgm']) {
      // A server without the extension (or without the right to create it) still migrates.
      this.addSql(`do $$ begin create extension if not exists ${ext} schema public; exception when others then null; end $$`);
    }
    this.addSql(`create table "${s}"."article" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "title" text not null,
      "body" text not null,
      "tags" text[] not null default '{}',
      "category" text null,
      "locale" text not null,
      "status" text not null,
      "version" integer not null,
      "helpful_count" integer not null default 0,
      "not_helpful_count" integer not null default 0,
      "views" integer not null default 0,
      "author_id" uuid null,
      "published_at" timestamptz null,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      "search_config" text not null default 'simple',
      "search_vector" tsvector null
    )`);
    this.addSql(`create index "article_list_idx" on "${s}"."article" ("tenant_id", "created_at", "id")`);
    this.addSql(`create index "article_search_idx" on "${s}"."article" using gin ("search_vector")`);
    this.addSql(`create table "${s}"."article_version" (
      "article_id" uuid not null,
      "version" integer not null,
      "tenant_id" uuid not null,
      "title" text not null,
      "body" text not null,
      "author_id" uuid null,
      "restored_from" integer null,
      "created_at" timestamptz not null,
      primary key ("article_id", "version")
    )`);
    this.addSql(`create table "${s}"."article_rating" (
      "article_id" uuid not null,
      "voter" text not null,
      "tenant_id" uuid not null,
      "helpful" boolean not null,
      primary key ("article_id", "voter")
    )`);
    this.addSql(`create table "${s}"."article_chunk" (
      "article_id" uuid not null,
      "ordinal" integer not null,
      "tenant_id" uuid not null,
      "version" integer not null,
      "heading" text null,
      "text" text not null,
      "dims" smallint[] not null,
      "vals" real[] not null,
      primary key ("article_id", "ordinal")
    )`);
    this.addSql(`create index "article_chunk_tenant_idx" on "${s}"."article_chunk" ("tenant_id")`);
  }
}
