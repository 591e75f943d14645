import { EventEmitter } from 'node:events';
import type { Redis } from './redis';

/**
 * A live event: "this subscription field fired, for these arguments, about this entity".
 * It carries the entity's key only; the gateway resolves each subscriber's selection from it.
 */
export interface LiveEvent {
  /** The Subscription root field, e.g. `messageAdded`. */
  field: string;
  /** The arguments a subscriber's own must equal to receive it (compared as strings), e.g. `{ conversationId }`. */
  args?: Record<string, unknown>;
  /** The entity's representation: `{ __typename: 'Message', id }`. */
  representation: { __typename: string; [key: string]: unknown };
  /** When it was published (ms since the epoch; publishLive stamps it): the gateway's `live_delivery_lag_seconds` starts here. */
  publishedAt?: number;
}

/** Redis pub/sub channel of a tenant's live events: a gateway only listens to its subscribers' tenants. */
export const LIVE_CHANNEL_PREFIX = 'switchboard:live:';
export const liveChannel = (tenantId: string) => `${LIVE_CHANNEL_PREFIX}${tenantId}`;

/** The in-process side: what a gateway without Redis listens to (services sharing one process). */
export const localLiveEvents = new EventEmitter();
localLiveEvents.setMaxListeners(0);

/**
 * Publishes a live event to a tenant's subscribers: in this process always, and on Redis
 * when given one (every gateway replica hears it). A gateway listens to exactly one of the
 * two (Redis when it has Redis), so nothing is delivered twice. At-most-once: clients catch
 * up with a cursor query on reconnect. Never throws; false when Redis refused it.
 */
export async function publishLive(redis: Redis | undefined, tenantId: string, event: LiveEvent): Promise<boolean> {
  if (!tenantId) throw new Error('publishLive needs a tenant');
  const channel = liveChannel(tenantId);
  event = { ...event, publishedAt: event.publishedAt ?? Date.now() };
  localLiveEvents.emit(channel, structuredClone(event));
  if (!redis) return true;
  return redis.publish(channel, JSON.stringify(event)).then(
    () => true,
    () => false,
  );
}
