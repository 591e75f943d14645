import { Field, InputType } from 'type-graphql';
import { BadInputError } from '@switchboard/kit';
import { Role } from './user.entity';

@InputType()
export class CreateUserInput {
  @Field()
  email!: string;

  @Field()
  name!: string;

  @Field(() => Role)
  role!: Role;

  @Field({ description: 'At least 10 characters.' })
  password!: string;

  @Field(() => [String], { nullable: true })
  skills?: string[];
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** NUL and the other C0/C1 control characters: PostgreSQL text cannot hold NUL, and none belong in a one-line field. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Refuses control characters (NUL above all) in a one-line text field, naming the field. */
export function requireNoControl(value: string, field: string): string {
  if (CONTROL.test(value)) throw new BadInputError(field, `${field} must not contain control characters (such as NUL)`);
  return value;
}
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function normalizeEmail(email: string, field = 'email'): string {
  const value = requireNoControl(email, field).trim().toLowerCase();
  if (value.length > 254 || !EMAIL.test(value)) throw new BadInputError(field, `${field} is not a valid email address`);
  return value;
}

export function requireText(value: string, field: string, max = 200): string {
  const v = requireNoControl(value, field).trim();
  if (!v) throw new BadInputError(field, `${field} must not be empty`);
  if (v.length > max) throw new BadInputError(field, `${field} must be at most ${max} characters`);
  return v;
}

export function validatePassword(password: string): string {
  if (password.length < 10) throw new BadInputError('password', 'password must be at least 10 characters');
  if (password.length > 200) throw new BadInputError('password', 'password must be at most 200 characters');
  return password;
}

export function normalizeSkills(skills: string[] | undefined | null): string[] {
  const out = [...new Set((skills ?? []).map((s) => s.trim().toLowerCase()))];
  if (out.length > 50) throw new BadInputError('skills', 'at most 50 skills');
  if (out.some((s) => !s || s.length > 50)) throw new BadInputError('skills', 'each skill must be 1-50 characters');
  for (const skill of out) requireNoControl(skill, 'skills');
  return out;
}

/** IDs are UUIDs; anything else cannot name an object and is refused before it reaches SQL. */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}
