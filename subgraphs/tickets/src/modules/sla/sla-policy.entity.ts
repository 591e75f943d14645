import { Entity, Enum, Filter, OptionalProps, Property } from '@mikro-orm/core';
import { TenantOwned, tenantFilter } from '@switchboard/kit';
import { Field, Int, ObjectType } from 'type-graphql';
import { TicketPriority } from '../tickets/ticket.entity';
import type { BusinessHours } from './sla-math';

@ObjectType('BusinessHours', { description: 'When the SLA clock runs: local working days and hours in a time zone.' })
export class BusinessHoursType implements BusinessHours {
  @Field({ description: 'IANA zone, e.g. "Europe/Berlin".' })
  timeZone!: string;

  @Field(() => [Int], { description: 'ISO days: 1 = Monday … 7 = Sunday.' })
  days!: number[];

  @Field({ description: 'Local opening time, "HH:MM".' })
  start!: string;

  @Field({ description: 'Local closing time, "HH:MM" (or "24:00").' })
  end!: string;
}

@Entity({ tableName: 'sla_policy' })
@Filter(tenantFilter)
@ObjectType({ description: 'The response and resolution targets for one priority in a tenant.' })
export class SlaPolicy extends TenantOwned {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'businessHours' | 'atRiskPercent';

  @Enum({ items: () => TicketPriority, type: 'text' })
  @Field(() => TicketPriority)
  priority!: TicketPriority;

  @Property({ type: 'integer' })
  @Field(() => Int)
  firstResponseMinutes!: number;

  @Property({ type: 'integer' })
  @Field(() => Int)
  resolutionMinutes!: number;

  @Property({ type: 'jsonb', nullable: true })
  @Field(() => BusinessHoursType, { nullable: true, description: 'Null: the clock runs around the clock.' })
  businessHours?: BusinessHours | null = null;

  @Property({ type: 'integer', nullable: true })
  @Field(() => Int, { nullable: true, description: 'A ticket is AT_RISK when this share (%) of a window is left; null: the service default.' })
  atRiskPercent?: number | null = null;

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  @Field()
  updatedAt: Date = new Date();
}
