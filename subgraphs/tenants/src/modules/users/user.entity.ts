import { Entity, Enum, Filter, OptionalProps, Property } from '@mikro-orm/core';
import { TenantOwned, tenantFilter } from '@switchboard/kit';
import { Directive, Field, ObjectType, registerEnumType } from 'type-graphql';

export enum Role {
  OWNER = 'OWNER',
  ADMIN = 'ADMIN',
  SUPERVISOR = 'SUPERVISOR',
  AGENT = 'AGENT',
  ANALYST = 'ANALYST',
}
registerEnumType(Role, {
  name: 'Role',
  description: 'What a user may do in their tenant.',
  valuesConfig: {
    OWNER: { description: 'Everything, including billing and the last word on roles.' },
    ADMIN: { description: 'Manages users, API keys and settings.' },
    SUPERVISOR: { description: 'Runs the team: assignment, SLA policies, queues.' },
    AGENT: { description: 'Works conversations and tickets.' },
    ANALYST: { description: 'Reads data and metrics; changes nothing.' },
  },
});

@Entity({ tableName: 'user' })
@Filter(tenantFilter)
@ObjectType({ description: 'A person who signs in to a tenant: an owner, admin, supervisor, agent or analyst.' })
@Directive('@key(fields: "id")')
export class User extends TenantOwned {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'skills' | 'version';

  @Property({ type: 'text' })
  @Field({ description: 'Unique within its tenant (the same address may sign in to several tenants); stored lower-case.' })
  email!: string;

  @Property({ type: 'text' })
  @Field()
  name!: string;

  @Enum({ items: () => Role, type: 'text' })
  @Field(() => Role)
  role!: Role;

  @Property({ type: 'jsonb' })
  @Field(() => [String], { description: 'What this user can handle, matched against ticket categories.' })
  skills: string[] = [];

  @Property({ type: 'text', lazy: true })
  passwordHash!: string;

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  @Property({ type: 'integer', version: true })
  version: number = 1;
}
