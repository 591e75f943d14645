import { Entity, Filter, PrimaryKey, Property } from '@mikro-orm/core';
import { tenantFilter } from '@switchboard/kit';

/**
 * Tickets' copy of the user directory, kept from `user.upserted` events: enough to assign
 * work by role, skills and load without asking the tenants subgraph.
 */
@Entity({ tableName: 'agent' })
@Filter(tenantFilter)
export class Agent {
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
