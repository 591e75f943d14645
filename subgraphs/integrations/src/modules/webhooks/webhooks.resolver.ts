import { connectionType } from '@switchboard/kit';
import { Arg, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { IntegrationsContext } from '../../context';
import { WebhookDelivery, WebhookDeliveryAttempt, WebhookDeliveryStatus } from './delivery.entity';
import { WebhookEndpoint } from './endpoint.entity';
import {
  createEndpoint,
  deleteEndpoint,
  listDeliveries,
  listEndpoints,
  pauseEndpoint,
  redeliver,
  resumeEndpoint,
  rotateSecret,
  updateEndpoint,
} from './webhooks.service';

@InputType({ description: 'A webhook endpoint: where, which events, and (optionally) the payload’s shape.' })
export class WebhookEndpointInput {
  @Field({ description: 'https:// (http:// only in demo mode); private and metadata addresses are refused.' })
  url!: string;

  @Field(() => [String], { description: 'Event types (docs/api.md), e.g. ["ticket.created", "message.sent"].' })
  events!: string[];

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => String, { nullable: true, description: 'A GraphQL selection on the event’s entity (Ticket for ticket.*, Conversation for conversation.*), e.g. `number subject assignee { name }`: `data` is then exactly those fields, read with your permissions.' })
  selection?: string | null;
}

@InputType({ description: 'What to change on an endpoint; fields left out stay as they are.' })
export class WebhookEndpointUpdateInput {
  @Field(() => String, { nullable: true })
  url?: string | null;

  @Field(() => [String], { nullable: true })
  events?: string[] | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => String, { nullable: true })
  selection?: string | null;
}

@ObjectType({ description: 'An endpoint with its signing secret: the only answer that shows the secret.' })
export class WebhookEndpointSecretPayload {
  @Field(() => WebhookEndpoint)
  endpoint!: WebhookEndpoint;

  @Field({ description: 'Verify `Switchboard-Signature` with it (docs/api.md). Shown once.' })
  secret!: string;
}

export const WebhookDeliveryConnection = connectionType(WebhookDelivery, 'WebhookDelivery');

@Resolver(() => WebhookDelivery)
export class WebhookDeliveryResolver {
  @FieldResolver(() => [WebhookDeliveryAttempt], { description: 'Every attempt, oldest first.' })
  attempts(@Root() delivery: WebhookDelivery): WebhookDeliveryAttempt[] {
    return delivery.attemptLog.map((a) => ({ ...a, at: new Date(a.at) }));
  }
}

@Resolver(() => WebhookEndpoint)
export class WebhookEndpointResolver {
  @Query(() => [WebhookEndpoint], { nullable: true, description: 'OWNER/ADMIN: your tenant’s webhook endpoints, oldest first.' })
  webhookEndpoints(@Ctx() ctx: IntegrationsContext): Promise<WebhookEndpoint[]> {
    return listEndpoints(ctx);
  }

  @Query(() => WebhookDeliveryConnection, { description: 'OWNER/ADMIN: the delivery log of one endpoint, newest first.' })
  webhookDeliveries(
    @Ctx() ctx: IntegrationsContext,
    @Arg('endpointId', () => ID) endpointId: string,
    @Arg('status', () => WebhookDeliveryStatus, { nullable: true }) status?: WebhookDeliveryStatus | null,
    @Arg('first', () => Int, { nullable: true }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ) {
    return listDeliveries(ctx, { endpointId, status, first, after });
  }

  @Mutation(() => WebhookEndpointSecretPayload, { description: 'OWNER/ADMIN. The secret is in this answer only.' })
  createWebhookEndpoint(@Arg('input') input: WebhookEndpointInput, @Ctx() ctx: IntegrationsContext): Promise<WebhookEndpointSecretPayload> {
    return createEndpoint(ctx, input);
  }

  @Mutation(() => WebhookEndpoint, { description: 'OWNER/ADMIN.' })
  updateWebhookEndpoint(@Arg('id', () => ID) id: string, @Arg('input') input: WebhookEndpointUpdateInput, @Ctx() ctx: IntegrationsContext): Promise<WebhookEndpoint> {
    return updateEndpoint(ctx, id, input);
  }

  @Mutation(() => Boolean, { description: 'OWNER/ADMIN. The endpoint and its delivery log are gone; nothing more is sent.' })
  deleteWebhookEndpoint(@Arg('id', () => ID) id: string, @Ctx() ctx: IntegrationsContext): Promise<boolean> {
    return deleteEndpoint(ctx, id);
  }

  @Mutation(() => WebhookEndpoint, { description: 'OWNER/ADMIN. Events queue until resumeWebhookEndpoint.' })
  pauseWebhookEndpoint(@Arg('id', () => ID) id: string, @Ctx() ctx: IntegrationsContext): Promise<WebhookEndpoint> {
    return pauseEndpoint(ctx, id);
  }

  @Mutation(() => WebhookEndpoint, { description: 'OWNER/ADMIN. ACTIVE again; what queued meanwhile is sent, in order.' })
  resumeWebhookEndpoint(@Arg('id', () => ID) id: string, @Ctx() ctx: IntegrationsContext): Promise<WebhookEndpoint> {
    return resumeEndpoint(ctx, id);
  }

  @Mutation(() => WebhookEndpointSecretPayload, { description: 'OWNER/ADMIN. A new secret; the old one also signs for `overlapSeconds` (default 86400, at most 7 days).' })
  rotateWebhookSecret(
    @Arg('id', () => ID) id: string,
    @Arg('overlapSeconds', () => Int, { nullable: true }) overlapSeconds: number | null,
    @Ctx() ctx: IntegrationsContext,
  ): Promise<WebhookEndpointSecretPayload> {
    return rotateSecret(ctx, id, overlapSeconds);
  }

  @Mutation(() => WebhookDelivery, { description: 'OWNER/ADMIN. Sends the same event again under a new delivery id.' })
  redeliverWebhook(@Arg('deliveryId', () => ID) deliveryId: string, @Ctx() ctx: IntegrationsContext): Promise<WebhookDelivery> {
    return redeliver(ctx, deliveryId);
  }
}

/** Other subgraphs may reference an endpoint by id; it resolves in the caller's tenant only. */
export const webhookEndpointReference = {
  WebhookEndpoint: { __resolveReference: (ref: { id: string }, ctx: IntegrationsContext) => ctx.loaders.endpoint.load(ref.id) },
};
