import { Entity, Filter, Property } from '@mikro-orm/core';
import { TenantOwned, tenantFilter } from '@switchboard/kit';
import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';

@Entity({ tableName: 'ticket_history' })
@Filter(tenantFilter)
@ObjectType('TicketChange', { description: 'One field of a ticket changed: who, when, from what to what.' })
export class TicketHistory extends TenantOwned {
  @Property({ type: 'uuid' })
  ticketId!: string;

  /** Insertion order: changes made in the same millisecond still list in the order they happened. */
  @Property({ type: 'bigint', persist: false })
  seq?: string;

  @Property({ type: 'text' })
  @Field({ description: '`user`, `apiKey` or `system` (the SLA check).' })
  actorKind!: string;

  @Property({ type: 'uuid', nullable: true })
  @Field(() => ID, { nullable: true })
  actorId?: string | null;

  @Property({ type: 'text' })
  @Field()
  field!: string;

  @Property({ type: 'jsonb', nullable: true })
  @Field(() => GraphQLJSON, { nullable: true })
  from?: unknown;

  @Property({ type: 'jsonb', nullable: true })
  @Field(() => GraphQLJSON, { nullable: true })
  to?: unknown;
}
