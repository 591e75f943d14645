import { Entity, Enum, Filter, OptionalProps, Property } from '@mikro-orm/core';
import { TenantOwned, tenantFilter } from '@switchboard/kit';
import { Field, ObjectType, registerEnumType } from 'type-graphql';

export enum ApiKeyKind {
  FIRST_PARTY = 'FIRST_PARTY',
  PARTNER = 'PARTNER',
}
registerEnumType(ApiKeyKind, {
  name: 'ApiKeyKind',
  valuesConfig: {
    FIRST_PARTY: { description: 'The tenant’s own systems: any operation its scopes allow.' },
    PARTNER: { description: 'A third party: held to the persisted-operation safelist.' },
  },
});

/** What a key may do. A key never has more than its scopes; keys cannot manage keys or users. */
export const API_KEY_SCOPES = [
  'tenant:read',
  'users:read',
  'conversations:read',
  'conversations:write',
  'tickets:read',
  'tickets:write',
  'knowledge:read',
  'knowledge:write',
  'analytics:read',
  'integrations:read',
  'integrations:write',
  'models:read',
  'models:complete',
  'assistants:read',
  'assistants:write',
] as const;

@Entity({ tableName: 'api_key' })
@Filter(tenantFilter)
@ObjectType({ description: 'A credential for machines. Its secret is shown once, at creation, and stored only as a hash.' })
export class ApiKey extends TenantOwned {
  [OptionalProps]?: 'createdAt' | 'lastUsedAt' | 'expiresAt' | 'revokedAt' | 'scopes';

  @Property({ type: 'text' })
  @Field()
  name!: string;

  @Property({ type: 'text' })
  @Field({ description: 'The first characters of the secret, to tell keys apart (`sb_…`).' })
  prefix!: string;

  @Property({ type: 'text', lazy: true })
  secretHash!: string;

  @Enum({ items: () => ApiKeyKind, type: 'text' })
  @Field(() => ApiKeyKind)
  kind!: ApiKeyKind;

  @Property({ type: 'jsonb' })
  @Field(() => [String])
  scopes: string[] = [];

  @Property({ type: 'uuid', nullable: true })
  createdBy?: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true })
  lastUsedAt?: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true })
  expiresAt?: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true })
  revokedAt?: Date | null = null;
}
