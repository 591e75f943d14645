import { Entity, Filter } from '@mikro-orm/core';
import { DirectoryUser, tenantFilter } from '@switchboard/kit';

/**
 * Tickets' copy of the user directory, kept from `user.upserted` events: enough to assign
 * work by role, skills and load without asking the tenants subgraph.
 */
@Entity({ tableName: 'agent' })
@Filter(tenantFilter)
export class Agent extends DirectoryUser {}
