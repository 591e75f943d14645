import { BigIntType, Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { randomUUID } from 'node:crypto';

export enum Plan {
  FREE = 'FREE',
  STARTER = 'STARTER',
  GROWTH = 'GROWTH',
  ENTERPRISE = 'ENTERPRISE',
}
registerEnumType(Plan, { name: 'Plan', description: 'The subscription plan; it sets the default quotas.' });

export enum TenantStatus {
  ACTIVE = 'ACTIVE',
  SUSPENDED = 'SUSPENDED',
}
registerEnumType(TenantStatus, { name: 'TenantStatus' });

/** Default quotas per plan; a tenant row may override them. */
export const PLAN_QUOTAS: Record<Plan, { requestsPerMinute: number; monthlyTokenBudget: number; seats: number }> = {
  FREE: { requestsPerMinute: 60, monthlyTokenBudget: 100_000, seats: 3 },
  STARTER: { requestsPerMinute: 600, monthlyTokenBudget: 2_000_000, seats: 10 },
  GROWTH: { requestsPerMinute: 3_000, monthlyTokenBudget: 20_000_000, seats: 50 },
  ENTERPRISE: { requestsPerMinute: 20_000, monthlyTokenBudget: 200_000_000, seats: 1_000 },
};

@ObjectType({ description: 'What a tenant may use: enforced by the gateway (requests) and the services (tokens, seats).' })
export class Quotas {
  @Field(() => Int)
  requestsPerMinute!: number;

  @Field(() => Int, { description: 'LLM tokens per calendar month (UTC).' })
  monthlyTokenBudget!: number;

  @Field(() => Int, { description: 'Users the tenant may have.' })
  seats!: number;
}

@Entity({ tableName: 'tenant' })
@ObjectType({ description: 'A business using Switchboard. Every other object belongs to exactly one tenant.' })
@Directive('@key(fields: "id")')
export class Tenant {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'status';

  @PrimaryKey({ type: 'uuid' })
  @Field(() => ID)
  id: string = randomUUID();

  @Property({ type: 'text' })
  @Field({ description: 'URL-safe unique name, e.g. `acme`.' })
  slug!: string;

  @Property({ type: 'text' })
  @Field()
  name!: string;

  @Enum({ items: () => Plan, type: 'text' })
  @Field(() => Plan)
  plan!: Plan;

  @Enum({ items: () => TenantStatus, type: 'text' })
  @Field(() => TenantStatus)
  status: TenantStatus = TenantStatus.ACTIVE;

  @Property({ type: 'integer' })
  requestsPerMinute!: number;

  @Property({ type: new BigIntType('number') })
  monthlyTokenBudget!: number;

  @Property({ type: 'integer' })
  seats!: number;

  @Property({ type: 'timestamptz' })
  @Field()
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
