import { Entity, Enum, Filter, OptionalProps, Property } from '@mikro-orm/core';
import { TenantOwned, tenantFilter } from '@switchboard/kit';
import { Directive, Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { Owner } from './selection';

export enum WebhookEndpointStatus {
  ACTIVE = 'ACTIVE',
  PAUSED = 'PAUSED',
  DISABLED = 'DISABLED',
}
registerEnumType(WebhookEndpointStatus, {
  name: 'WebhookEndpointStatus',
  valuesConfig: {
    ACTIVE: { description: 'Events are delivered as they happen.' },
    PAUSED: { description: 'Paused by hand or after too many consecutive failures: events queue and are sent on resume.' },
    DISABLED: { description: 'Receives nothing and queues nothing.' },
  },
});

@Entity({ tableName: 'webhook_endpoint' })
@Filter(tenantFilter)
@ObjectType({ description: 'A URL of the tenant that receives signed domain events (OWNER/ADMIN).' })
@Directive('@key(fields: "id")')
export class WebhookEndpoint extends TenantOwned {
  [OptionalProps]?: 'createdAt' | 'status' | 'consecutiveFailures' | 'description' | 'selection' | 'previousSecretSealed' | 'previousSecretExpiresAt' | 'createdByUserId' | 'owner';

  @Property({ type: 'text' })
  @Field({ description: 'Where deliveries are POSTed (https outside demo mode).' })
  url!: string;

  @Property({ type: 'jsonb' })
  @Field(() => [String], { description: 'The event types it receives (docs/api.md lists them).' })
  events!: string[];

  @Enum({ items: () => WebhookEndpointStatus, type: 'text' })
  @Field(() => WebhookEndpointStatus)
  status: WebhookEndpointStatus = WebhookEndpointStatus.ACTIVE;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  description: string | null = null;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true, description: 'A GraphQL selection on the event’s entity that shapes `data` (null: the event’s own payload).' })
  selection: string | null = null;

  @Property({ type: 'integer' })
  @Field(() => Int, { description: 'Failed attempts since the last success; at WEBHOOK_PAUSE_AFTER_FAILURES the endpoint is PAUSED.' })
  consecutiveFailures = 0;

  /** The signing secret, AES-256-GCM sealed (never a GraphQL field). */
  @Property({ type: 'text' })
  secretSealed!: string;

  /** The secret before the last rotation, which still signs until `previousSecretExpiresAt`. */
  @Property({ type: 'text', nullable: true })
  previousSecretSealed: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  previousSecretExpiresAt: Date | null = null;

  /** Whose permissions a selection is resolved with. */
  @Property({ type: 'uuid', nullable: true })
  createdByUserId: string | null = null;

  /** Whose permissions a selection is resolved with: who created or last changed the selection. */
  @Property({ type: 'jsonb', nullable: true })
  owner: Owner | null = null;
}
