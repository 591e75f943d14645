import { Entity, PrimaryKey, Property, type EntityClass } from '@mikro-orm/core';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { EventConsumer } from './consumer';
import type { OrmFeature } from './db';
import { idempotent } from './events';

/** A subgraph's copy of one user, kept from `user.upserted` events (tenants owns the user). */
export interface DirectoryEntry {
  id: string;
  tenantId: string;
  name: string;
  role: string;
  skills: string[];
  updatedAt: Date;
}

/**
 * The columns of a directory table. A subgraph declares its own
 * `@Entity({ tableName: 'agent' }) @Filter(tenantFilter) class Agent extends DirectoryUser {}`
 * (and creates the table in its migrations).
 */
@Entity({ abstract: true })
export abstract class DirectoryUser implements DirectoryEntry {
  /** The user's id in the tenants subgraph. */
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'uuid' })
  tenantId!: string;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text' })
  role!: string;

  @Property({ type: 'jsonb' })
  skills: string[] = [];

  @Property({ type: 'timestamptz' })
  updatedAt: Date = new Date();
}

/**
 * The DDL of a directory table (`agent`, the columns of DirectoryUser), for the migrations
 * of every subgraph that keeps one: `for (const sql of directoryTableSql(schema)) this.addSql(sql)`.
 */
export function directoryTableSql(migrationSchema: string | undefined, table = 'agent'): string[] {
  const schema = migrationSchema ?? 'public';
  return [
    `create table "${schema}"."${table}" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "name" text not null,
      "role" text not null,
      "skills" jsonb not null default '[]',
      "updated_at" timestamptz not null
    )`,
    `create index "${table}_tenant_role_idx" on "${schema}"."${table}" ("tenant_id", "role")`,
  ];
}

/** The directory's base entity as an ORM plug-in. */
export const directoryFeature: OrmFeature = { name: 'directory', entities: [DirectoryUser] };

/** The payload of `user.upserted`. */
export interface UserUpserted {
  id: string;
  name: string;
  role: string;
  skills: string[];
}

/**
 * Keeps `entity` (the subgraph's directory table) in step with `user.upserted`, each event
 * applied once per consumer group: how a subgraph knows who may be assigned work without
 * calling the tenants subgraph.
 */
export function consumeUserDirectory<T extends DirectoryEntry>(orm: MikroORM, events: EventConsumer, group: string, entity: EntityClass<T>): () => Promise<void> {
  return events.consume(
    group,
    ['user.upserted'],
    idempotent(orm, group, (em, event) => upsertDirectoryEntry(em, entity, event.tenantId, event.data as unknown as UserUpserted, new Date(event.occurredAt))),
  );
}

/**
 * Newer facts win: an event older than the row (redelivered out of order) changes nothing.
 * One upsert statement, so a seed and the event consumer writing the same user at once
 * cannot both insert it.
 */
export async function upsertDirectoryEntry<T extends DirectoryEntry>(em: EntityManager, entity: EntityClass<T>, tenantId: string, u: UserUpserted, at: Date): Promise<void> {
  const meta = em.getMetadata().get(entity.name);
  const table = `"${meta.schema ?? em.config.get('schema')}"."${meta.tableName}"`;
  await em.getConnection().execute(
    `insert into ${table} ("id", "tenant_id", "name", "role", "skills", "updated_at") values (?, ?, ?, ?, ?, ?)
     on conflict ("id") do update set "name" = excluded."name", "role" = excluded."role", "skills" = excluded."skills", "updated_at" = excluded."updated_at"
     where ${table}."updated_at" <= excluded."updated_at"`,
    [u.id, tenantId, u.name, u.role, JSON.stringify(u.skills ?? []), at],
    'run',
    em.getTransactionContext(),
  );
}
