import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Field, ID, ObjectType } from 'type-graphql';
import type { OrmFeature } from './db';

/**
 * What every tenant-owned row has: a UUID, its tenant, when it was created. Subclasses add
 * `@Entity`, `@Filter(tenantFilter)` and their own fields; the GraphQL `id` and `createdAt`
 * come from here. `tenantId` is never a GraphQL field: a caller only ever sees their own.
 */
@Entity({ abstract: true })
@ObjectType({ description: 'Base of tenant-owned types; never reachable in a schema on its own.' })
export abstract class TenantOwned {
  @PrimaryKey({ type: 'uuid' })
  @Field(() => ID)
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  tenantId!: string;

  @Property({ type: 'timestamptz' })
  @Field()
  createdAt: Date = new Date();
}

/** The tenant-owned base entity as an ORM plug-in. */
export const tenantOwnedFeature: OrmFeature = { name: 'tenant-owned', entities: [TenantOwned] };
