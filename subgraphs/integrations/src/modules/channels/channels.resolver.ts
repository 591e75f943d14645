import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { IntegrationsContext } from '../../context';
import { ChannelConnectorInput, createConnector, listConnectors } from './channels.service';
import { ChannelConnector } from './connector.entity';

@Resolver(() => ChannelConnector)
export class ChannelConnectorResolver {
  @FieldResolver(() => String, { description: 'Where the provider must call: the gateway’s `/webhooks/<channel>/<id>`.' })
  inboundUrl(@Root() connector: ChannelConnector, @Ctx() ctx: IntegrationsContext): string {
    return `${ctx.config.INBOUND_BASE_URL.replace(/\/$/, '')}/webhooks/${connector.channel.toLowerCase()}/${connector.id}`;
  }

  @Query(() => [ChannelConnector], { nullable: true, description: 'OWNER/ADMIN: your tenant’s channel connectors.' })
  channelConnectors(@Ctx() ctx: IntegrationsContext): Promise<ChannelConnector[]> {
    return listConnectors(ctx);
  }

  @Mutation(() => ChannelConnector, { description: 'OWNER/ADMIN. Give the provider `inboundUrl`; the secrets are never shown again.' })
  createChannelConnector(@Arg('input') input: ChannelConnectorInput, @Ctx() ctx: IntegrationsContext): Promise<ChannelConnector> {
    return createConnector(ctx, input);
  }
}
