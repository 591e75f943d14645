import type { MikroORM } from '@mikro-orm/postgresql';
import { idempotent, type EventConsumer } from '@switchboard/kit';
import { WEBHOOK_EVENT_TYPES, orderKeyOf } from './catalogue';
import { WebhookDelivery } from './delivery.entity';
import { WebhookEndpoint, WebhookEndpointStatus } from './endpoint.entity';

export const WEBHOOKS_GROUP = 'integrations.webhooks';

/**
 * Turns each domain event into one delivery row per endpoint of its tenant that asked for
 * it, once per event id (the kit's `idempotent`, and a unique (endpoint, event) index under
 * it). ACTIVE and PAUSED endpoints both get the row: a paused endpoint is sent what queued
 * when it resumes. The dispatcher does the sending; this only records, so it is fast.
 */
export function consumeWebhookEvents(orm: MikroORM, events: EventConsumer, clock: () => Date, wake: () => void): () => Promise<void> {
  return events.consume(
    WEBHOOKS_GROUP,
    WEBHOOK_EVENT_TYPES,
    idempotent(orm, WEBHOOKS_GROUP, async (em, event) => {
      const endpoints = await em.find(WebhookEndpoint, { tenantId: event.tenantId, status: { $ne: WebhookEndpointStatus.DISABLED } });
      const now = clock();
      let queued = 0;
      for (const endpoint of endpoints) {
        if (!endpoint.events.includes(event.type)) continue;
        em.persist(
          em.create(WebhookDelivery, {
            tenantId: event.tenantId,
            endpointId: endpoint.id,
            eventId: event.id,
            eventType: event.type,
            orderKey: orderKeyOf(event),
            event,
            createdAt: now,
            nextAttemptAt: now,
          }),
        );
        queued++;
      }
      if (queued) setImmediate(wake); // after the commit
    }),
    // Recording is a local insert; retry it a few times before it is dead-lettered.
    { maxAttempts: 8 },
  );
}
