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
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function normalizeEmail(email: string, field = 'email'): string {
  const value = email.trim().toLowerCase();
  if (value.length > 254 || !EMAIL.test(value)) throw new BadInputError(field, `${field} is not a valid email address`);
  return value;
}

export function requireText(value: string, field: string, max = 200): string {
  const v = value.trim();
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
  return out;
}

/** IDs are UUIDs; anything else cannot name an object and is refused before it reaches SQL. */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}
