import { Entity, Filter, Property } from '@mikro-orm/core';
import { TenantOwned, tenantFilter } from '@switchboard/kit';
import { Field, ObjectType } from 'type-graphql';

@Entity({ tableName: 'ticket_comment' })
@Filter(tenantFilter)
@ObjectType({ description: 'A reply on a ticket. Internal notes are for the team: partner keys never see them.' })
export class TicketComment extends TenantOwned {
  @Property({ type: 'uuid' })
  ticketId!: string;

  @Property({ type: 'text' })
  authorKind!: 'user' | 'apiKey';

  @Property({ type: 'uuid', nullable: true })
  authorId?: string | null;

  @Property({ type: 'text' })
  @Field()
  body!: string;

  @Property({ type: 'boolean' })
  @Field({ description: 'True for notes only the team sees.' })
  internal!: boolean;
}
