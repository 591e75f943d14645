import { BadInputError } from '@switchboard/kit';
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

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (id: string) => UUID.test(id);

export function text(value: string, field: string, max: number, options: { allowEmpty?: boolean } = {}): string {
  const v = value.trim();
  if (!v && !options.allowEmpty) throw new BadInputError(field, `${field} must not be empty`);
  if (v.length > max) throw new BadInputError(field, `${field} must be at most ${max} characters`);
  return v;
}

export function email(value: string, field: string): string {
  const v = value.trim().toLowerCase();
  if (v.length > 254 || !EMAIL.test(v)) throw new BadInputError(field, `${field} is not a valid email address`);
  return v;
}

export function category(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return text(value, 'category', 50).toLowerCase() || null;
}

export function tags(values: string[] | null | undefined): string[] {
  const out = [...new Set((values ?? []).map((t) => t.trim().toLowerCase()))];
  if (out.length > 20) throw new BadInputError('tags', 'at most 20 tags');
  if (out.some((t) => !t || t.length > 50)) throw new BadInputError('tags', 'each tag must be 1-50 characters');
  return out;
}
