import { Entity, Enum, Filter, OptionalProps, Property } from '@mikro-orm/core';
import { TenantOwned, tenantFilter } from '@switchboard/kit';
import { Directive, Field, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum TicketStatus {
  OPEN = 'OPEN',
  IN_PROGRESS = 'IN_PROGRESS',
  PENDING = 'PENDING',
  RESOLVED = 'RESOLVED',
  CLOSED = 'CLOSED',
}
registerEnumType(TicketStatus, {
  name: 'TicketStatus',
  valuesConfig: {
    OPEN: { description: 'New or reopened; nobody is working on it yet.' },
    IN_PROGRESS: { description: 'An agent is working on it.' },
    PENDING: { description: 'Waiting for the requester or a third party.' },
    RESOLVED: { description: 'Solved; the requester may still reopen it.' },
    CLOSED: { description: 'Final. A closed ticket never changes status again.' },
  },
});

export enum TicketPriority {
  LOW = 'LOW',
  NORMAL = 'NORMAL',
  HIGH = 'HIGH',
  URGENT = 'URGENT',
}
registerEnumType(TicketPriority, { name: 'TicketPriority' });

export enum SlaState {
  ON_TRACK = 'ON_TRACK',
  AT_RISK = 'AT_RISK',
  BREACHED = 'BREACHED',
}
registerEnumType(SlaState, { name: 'SlaState' });

@Entity({ tableName: 'ticket' })
@Filter(tenantFilter)
@ObjectType({ description: 'A customer request that agents work to resolution, under an SLA.' })
@Directive('@key(fields: "id")')
export class Ticket extends TenantOwned {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'status' | 'tags' | 'version' | 'slaState';

  @Property({ type: 'integer' })
  @Field(() => Int, { description: 'Sequential per tenant: #1, #2, … with no gaps.' })
  number!: number;

  @Property({ type: 'text' })
  @Field()
  subject!: string;

  @Property({ type: 'text' })
  @Field()
  description!: string;

  @Enum({ items: () => TicketStatus, type: 'text' })
  @Field(() => TicketStatus)
  status: TicketStatus = TicketStatus.OPEN;

  @Enum({ items: () => TicketPriority, type: 'text' })
  @Field(() => TicketPriority)
  priority!: TicketPriority;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true, description: 'What the ticket is about; matched against agents’ skills.' })
  category?: string | null;

  @Property({ type: 'jsonb' })
  @Field(() => [String])
  tags: string[] = [];

  @Property({ type: 'text' })
  requesterName!: string;

  @Property({ type: 'text' })
  requesterEmail!: string;

  @Property({ type: 'uuid', nullable: true })
  assigneeId?: string | null;

  @Property({ type: 'uuid', nullable: true })
  conversationId?: string | null;

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  @Field()
  updatedAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true })
  firstRespondedAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true })
  resolvedAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true })
  closedAt?: Date | null;

  @Property({ type: 'uuid', nullable: true })
  slaPolicyId?: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  firstResponseDueAt?: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  resolutionDueAt?: Date | null;

  @Enum({ items: () => SlaState, type: 'text' })
  slaState: SlaState = SlaState.ON_TRACK;

  @Property({ type: 'timestamptz', nullable: true })
  slaBreachedAt?: Date | null;

  @Property({ type: 'integer', version: true })
  @Field(() => Int, { description: 'Changes on every write; send it back as `expectedVersion` to refuse lost updates.' })
  version: number = 1;
}
