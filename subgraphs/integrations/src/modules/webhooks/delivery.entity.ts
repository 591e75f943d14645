import { Entity, Enum, Filter, OptionalProps, Property } from '@mikro-orm/core';
import { TenantOwned, tenantFilter, type DomainEvent } from '@switchboard/kit';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum WebhookDeliveryStatus {
  PENDING = 'PENDING',
  RETRYING = 'RETRYING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}
registerEnumType(WebhookDeliveryStatus, {
  name: 'WebhookDeliveryStatus',
  valuesConfig: {
    PENDING: { description: 'Not attempted yet (waiting for earlier events of the same ticket or conversation, or for a paused endpoint).' },
    RETRYING: { description: 'Attempted and failed; the next attempt is scheduled.' },
    SUCCEEDED: { description: 'The receiver answered 2xx: never sent again unless redelivered.' },
    FAILED: { description: 'Retried for the whole retry window (24 h by default) without success.' },
  },
});

@ObjectType({ description: 'One attempt at a delivery.' })
export class WebhookDeliveryAttempt {
  @Field()
  at!: Date;

  @Field(() => Int, { nullable: true, description: 'The receiver’s HTTP status; null when there was no answer.' })
  responseStatus!: number | null;

  @Field(() => Int)
  latencyMs!: number;

  @Field(() => String, { nullable: true, description: 'Why it failed (timeout, refused address, connection error, non-2xx).' })
  error!: string | null;
}

export interface StoredAttempt {
  at: string;
  responseStatus: number | null;
  latencyMs: number;
  error: string | null;
}

@Entity({ tableName: 'webhook_delivery' })
@Filter(tenantFilter)
@ObjectType({ description: 'One event sent (or to be sent) to one endpoint, with its attempts.' })
export class WebhookDelivery extends TenantOwned {
  [OptionalProps]?: 'createdAt' | 'status' | 'attemptLog' | 'nextAttemptAt' | 'lockedUntil' | 'redeliveryOf';

  @Property({ type: 'uuid' })
  @Field(() => ID)
  endpointId!: string;

  @Property({ type: 'uuid' })
  @Field(() => ID)
  eventId!: string;

  @Property({ type: 'text' })
  @Field()
  eventType!: string;

  @Enum({ items: () => WebhookDeliveryStatus, type: 'text' })
  @Field(() => WebhookDeliveryStatus)
  status: WebhookDeliveryStatus = WebhookDeliveryStatus.PENDING;

  /** Deliveries with one key go out in order (orderKeyOf). */
  @Property({ type: 'text' })
  orderKey!: string;

  /** The event as it arrived: what the body is built from. */
  @Property({ type: 'jsonb' })
  event!: DomainEvent;

  @Property({ type: 'jsonb' })
  attemptLog: StoredAttempt[] = [];

  @Property({ type: 'timestamptz' })
  nextAttemptAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  lockedUntil: Date | null = null;

  /** The delivery this one sends again (redeliverWebhook); null for the first. */
  @Property({ type: 'uuid', nullable: true })
  @Field(() => ID, { nullable: true })
  redeliveryOf: string | null = null;
}
