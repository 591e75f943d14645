import { Entity, Filter, Index, Property } from '@mikro-orm/core';
import { TenantOwned, tenantFilter } from '@switchboard/kit';
import { Field, ID, Int, ObjectType } from 'type-graphql';

/** What the gateway may report (docs/api.md "Abuse protection"). */
export const SECURITY_EVENT_KINDS = ['CLIENT_BLOCKED'] as const;
export const SUBJECT_KINDS = ['ip', 'apiKey', 'user'] as const;
export const SIGNALS = ['authFailure', 'loginFailure', 'operationLimit', 'malformed', 'injection', 'rateLimited'] as const;

/**
 * Something the edge did against one of the tenant's clients: today, a key or user blocked by
 * threat detection. Written by the gateway through `/internal/security-events`, read by
 * OWNER / ADMIN as `securityEvents`. Append-only.
 */
@Entity({ tableName: 'security_event' })
@Filter(tenantFilter)
@Index({ properties: ['tenantId', 'createdAt', 'id'] })
@ObjectType({ description: 'A security event in your tenant: one of your API keys or users blocked by the gateway’s threat detection.' })
export class SecurityEvent extends TenantOwned {
  @Property({ type: 'text' })
  @Field({ description: '`CLIENT_BLOCKED`.' })
  kind!: string;

  @Property({ type: 'text' })
  @Field({ description: 'What was blocked: `apiKey` or `user`.' })
  subjectKind!: string;

  @Property({ type: 'text' })
  @Field(() => ID, { description: 'The API key or user id.' })
  subjectId!: string;

  @Property({ type: 'text' })
  @Field({ description: 'The signal that crossed the threshold: `authFailure`, `loginFailure`, `operationLimit`, `malformed`, `injection` or `rateLimited`.' })
  reason!: string;

  @Property({ type: 'integer' })
  @Field(() => Int, { description: 'The client’s score when it was blocked.' })
  score!: number;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true, description: 'The address the last request came from.' })
  ip?: string | null;

  @Property({ type: 'timestamptz' })
  @Field({ description: 'When the block expires.' })
  blockedUntil!: Date;
}
