import { Field, InputType, Int, registerEnumType } from 'type-graphql';
import { SlaState, TicketPriority, TicketStatus } from './ticket.entity';

@InputType()
export class RequesterInput {
  @Field()
  name!: string;

  @Field()
  email!: string;
}

@InputType()
export class CreateTicketInput {
  @Field()
  subject!: string;

  @Field({ defaultValue: '' })
  description!: string;

  @Field(() => TicketPriority, { defaultValue: TicketPriority.NORMAL })
  priority!: TicketPriority;

  @Field(() => String, { nullable: true })
  category?: string | null;

  @Field(() => [String], { nullable: true })
  tags?: string[] | null;

  @Field(() => RequesterInput)
  requester!: RequesterInput;
}

@InputType({ description: 'Only the fields given change.' })
export class UpdateTicketInput {
  @Field(() => String, { nullable: true })
  subject?: string | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => TicketPriority, { nullable: true })
  priority?: TicketPriority | null;

  @Field(() => String, { nullable: true })
  category?: string | null;

  @Field(() => [String], { nullable: true })
  tags?: string[] | null;
}

@InputType()
export class TicketFilter {
  @Field(() => [TicketStatus], { nullable: true })
  status?: TicketStatus[] | null;

  @Field(() => [TicketPriority], { nullable: true })
  priority?: TicketPriority[] | null;

  @Field(() => String, { nullable: true, description: 'Tickets assigned to this user.' })
  assigneeId?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Only tickets nobody is assigned to.' })
  unassigned?: boolean | null;

  @Field(() => [SlaState], { nullable: true })
  slaState?: SlaState[] | null;

  @Field(() => String, { nullable: true, description: 'Words in the subject or description (case-insensitive).' })
  search?: string | null;
}

export enum TicketOrder {
  NEWEST = 'NEWEST',
  OLDEST = 'OLDEST',
}
registerEnumType(TicketOrder, { name: 'TicketOrder' });

@InputType()
export class BusinessHoursInput {
  @Field()
  timeZone!: string;

  @Field(() => [Int])
  days!: number[];

  @Field()
  start!: string;

  @Field()
  end!: string;
}

@InputType()
export class SlaPolicyInput {
  @Field(() => TicketPriority)
  priority!: TicketPriority;

  @Field(() => Int)
  firstResponseMinutes!: number;

  @Field(() => Int)
  resolutionMinutes!: number;

  @Field(() => BusinessHoursInput, { nullable: true })
  businessHours?: BusinessHoursInput | null;

  @Field(() => Int, { nullable: true })
  atRiskPercent?: number | null;
}

/** The input rules are the kit's, shared by every subgraph (limits in docs/api.md). */
export { category, email, isUuid, tags, text } from '@switchboard/kit';
