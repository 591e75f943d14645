import { ADMIN_ROLES, BadInputError, NotFoundError, authorize, paginate, type Caller, type Page } from '@switchboard/kit';
import type { IntegrationsContext } from '../../context';
import { WEBHOOK_EVENT_TYPES } from './catalogue';
import { WebhookDelivery, WebhookDeliveryStatus } from './delivery.entity';
import { WebhookEndpoint, WebhookEndpointStatus } from './endpoint.entity';
import type { Owner } from './selection';
import { newWebhookSecret } from './signing';
import { checkWebhookUrl } from './url-guard';

/** OWNER/ADMIN, or an API key with `integrations:write`. */
const MANAGE = { roles: ADMIN_ROLES, scope: 'integrations:write' } as const;
const MAX_ENDPOINTS = 50;
const MAX_OVERLAP_SECONDS = 7 * 86_400;

export interface EndpointInput {
  url?: string | null;
  events?: string[] | null;
  description?: string | null;
  selection?: string | null;
}

function checkEvents(events: string[]): string[] {
  const unique = [...new Set(events.map((e) => e.trim()))];
  if (!unique.length) throw new BadInputError('events', 'events must name at least one event type');
  const unknown = unique.filter((e) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(e));
  if (unknown.length) throw new BadInputError('events', `events: unknown event type ${unknown.join(', ')} (docs/api.md lists them)`);
  return unique;
}

function checkDescription(description: string | null | undefined): string | null {
  if (description == null) return null;
  const d = description.trim();
  if (d.length > 500) throw new BadInputError('description', 'description must be at most 500 characters');
  return d || null;
}

function checkSelection(ctx: IntegrationsContext, selection: string | null | undefined, events: readonly string[]): string | null {
  if (selection == null || !selection.trim()) return null;
  return ctx.selections.check(selection, events);
}

/** The caller, as a selection is resolved: their kind, roles and scopes (never a tenant: that is the endpoint's). */
function ownerOf(caller: Caller): Owner {
  return { kind: caller.kind, userId: caller.userId, apiKeyId: caller.apiKeyId, apiKeyKind: caller.apiKeyKind, roles: caller.roles, scopes: caller.scopes };
}

export async function endpointOf(ctx: IntegrationsContext, id: string): Promise<WebhookEndpoint> {
  const endpoint = await ctx.loaders.endpoint.load(id);
  if (!endpoint) throw new NotFoundError('WebhookEndpoint', id);
  return endpoint;
}

export function listEndpoints(ctx: IntegrationsContext): Promise<WebhookEndpoint[]> {
  const caller = authorize(ctx.identity, { roles: ADMIN_ROLES, scope: 'integrations:read' });
  return ctx.em.find(WebhookEndpoint, { tenantId: caller.tenantId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
}

export async function createEndpoint(ctx: IntegrationsContext, input: EndpointInput): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const caller = authorize(ctx.identity, MANAGE);
  if (!input.url) throw new BadInputError('url', 'url is required');
  const url = (await checkWebhookUrl(input.url.trim(), ctx.urls, 'url')).toString();
  const events = checkEvents(input.events ?? []);
  const description = checkDescription(input.description);
  const selection = checkSelection(ctx, input.selection, events);
  if ((await ctx.em.count(WebhookEndpoint, { tenantId: caller.tenantId })) >= MAX_ENDPOINTS) {
    throw new BadInputError('url', `a tenant has at most ${MAX_ENDPOINTS} webhook endpoints`);
  }
  const secret = newWebhookSecret();
  const endpoint = ctx.em.create(WebhookEndpoint, {
    tenantId: caller.tenantId,
    url,
    events,
    description,
    selection,
    secretSealed: ctx.secrets.seal(secret),
    createdByUserId: caller.kind === 'user' ? (caller.userId ?? null) : null,
    owner: ownerOf(caller),
    createdAt: ctx.clock(),
  });
  await ctx.em.flush();
  return { endpoint, secret };
}

export async function updateEndpoint(ctx: IntegrationsContext, id: string, input: EndpointInput): Promise<WebhookEndpoint> {
  const caller = authorize(ctx.identity, MANAGE);
  const endpoint = await endpointOf(ctx, id);
  if (input.url != null) endpoint.url = (await checkWebhookUrl(input.url.trim(), ctx.urls, 'url')).toString();
  if (input.events != null) endpoint.events = checkEvents(input.events);
  if (input.description !== undefined) endpoint.description = checkDescription(input.description);
  if (input.selection !== undefined || input.events != null) {
    endpoint.selection = checkSelection(ctx, input.selection !== undefined ? input.selection : endpoint.selection, endpoint.events);
    endpoint.owner = ownerOf(caller);
  }
  await ctx.em.flush();
  return endpoint;
}

export async function deleteEndpoint(ctx: IntegrationsContext, id: string): Promise<boolean> {
  authorize(ctx.identity, MANAGE);
  const endpoint = await endpointOf(ctx, id);
  ctx.em.remove(endpoint); // its deliveries go with it (on delete cascade)
  await ctx.em.flush();
  return true;
}

export async function pauseEndpoint(ctx: IntegrationsContext, id: string): Promise<WebhookEndpoint> {
  authorize(ctx.identity, MANAGE);
  const endpoint = await endpointOf(ctx, id);
  if (endpoint.status === WebhookEndpointStatus.ACTIVE) endpoint.status = WebhookEndpointStatus.PAUSED;
  await ctx.em.flush();
  return endpoint;
}

/** ACTIVE again, failures forgotten, and what queued while paused is due now (in order). */
export async function resumeEndpoint(ctx: IntegrationsContext, id: string): Promise<WebhookEndpoint> {
  const caller = authorize(ctx.identity, MANAGE);
  const endpoint = await endpointOf(ctx, id);
  endpoint.status = WebhookEndpointStatus.ACTIVE;
  endpoint.consecutiveFailures = 0;
  await ctx.em.transactional(async (tx) => {
    tx.persist(endpoint);
    await tx.nativeUpdate(
      WebhookDelivery,
      { tenantId: caller.tenantId, endpointId: endpoint.id, status: { $in: [WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.RETRYING] } },
      { nextAttemptAt: ctx.clock() },
    );
  });
  ctx.wake();
  return endpoint;
}

/** A new secret; the old one keeps signing (a second `v1`) for `overlapSeconds`. */
export async function rotateSecret(ctx: IntegrationsContext, id: string, overlapSeconds: number | null | undefined): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  authorize(ctx.identity, MANAGE);
  const overlap = overlapSeconds ?? 86_400;
  if (!Number.isInteger(overlap) || overlap < 0 || overlap > MAX_OVERLAP_SECONDS) {
    throw new BadInputError('overlapSeconds', `overlapSeconds must be between 0 and ${MAX_OVERLAP_SECONDS}`);
  }
  const endpoint = await endpointOf(ctx, id);
  const secret = newWebhookSecret();
  endpoint.previousSecretSealed = overlap > 0 ? endpoint.secretSealed : null;
  endpoint.previousSecretExpiresAt = overlap > 0 ? new Date(ctx.clock().getTime() + overlap * 1000) : null;
  endpoint.secretSealed = ctx.secrets.seal(secret);
  await ctx.em.flush();
  return { endpoint, secret };
}

export async function listDeliveries(
  ctx: IntegrationsContext,
  args: { endpointId: string; status?: WebhookDeliveryStatus | null; first?: number | null; after?: string | null },
): Promise<Page<WebhookDelivery>> {
  const caller = authorize(ctx.identity, { roles: ADMIN_ROLES, scope: 'integrations:read' });
  const endpoint = await endpointOf(ctx, args.endpointId);
  const where = { tenantId: caller.tenantId, endpointId: endpoint.id, ...(args.status ? { status: args.status } : {}) };
  return paginate(ctx.em, WebhookDelivery, where, args, 'desc');
}

/** The same event again, under a new delivery id, behind whatever is still queued for its ticket or conversation. */
export async function redeliver(ctx: IntegrationsContext, deliveryId: string): Promise<WebhookDelivery> {
  const caller = authorize(ctx.identity, MANAGE);
  const original = /^[0-9a-f-]{36}$/i.test(deliveryId) ? await ctx.em.findOne(WebhookDelivery, { id: deliveryId, tenantId: caller.tenantId }) : null;
  if (!original) throw new NotFoundError('WebhookDelivery', deliveryId);
  const copy = ctx.em.create(WebhookDelivery, {
    tenantId: caller.tenantId,
    endpointId: original.endpointId,
    eventId: original.eventId,
    eventType: original.eventType,
    orderKey: original.orderKey,
    event: original.event,
    redeliveryOf: original.redeliveryOf ?? original.id,
    createdAt: ctx.clock(),
    nextAttemptAt: ctx.clock(),
  });
  await ctx.em.flush();
  ctx.wake();
  return copy;
}
