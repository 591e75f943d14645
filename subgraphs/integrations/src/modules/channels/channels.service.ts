import { ADMIN_ROLES, BadInputError, authorize } from '@switchboard/kit';
import { Field, InputType } from 'type-graphql';
import type { IntegrationsContext } from '../../context';
import { ChannelConnector, ConnectorChannel } from './connector.entity';

@InputType({ description: 'A channel connector: the provider’s secrets for signatures (and a token for replies).' })
export class ChannelConnectorInput {
  @Field(() => ConnectorChannel)
  channel!: ConnectorChannel;

  @Field({ description: 'WhatsApp: the Meta app secret; Slack: the signing secret. Checks every inbound request’s signature.' })
  appSecret!: string;

  @Field(() => String, { nullable: true, description: 'WhatsApp: the verify token of the subscription handshake (hub.verify_token).' })
  verifyToken?: string | null;

  @Field({ description: 'WhatsApp: the phone number id; Slack: the team id.' })
  externalAccountId!: string;

  @Field(() => String, { nullable: true, description: 'For replies: WhatsApp’s access token, Slack’s bot token (xoxb-…). Without it, replies are not sent out.' })
  accessToken?: string | null;
}

function secretText(value: string | null | undefined, field: string, required: boolean): string | null {
  if (value == null || value === '') {
    if (required) throw new BadInputError(field, `${field} is required`);
    return null;
  }
  if (value.length < 8 || value.length > 1000) throw new BadInputError(field, `${field} must be 8–1000 characters`);
  return value;
}

export async function createConnector(ctx: IntegrationsContext, input: ChannelConnectorInput): Promise<ChannelConnector> {
  const caller = authorize(ctx.identity, { roles: ADMIN_ROLES, scope: 'integrations:write' });
  const appSecret = secretText(input.appSecret, 'appSecret', true)!;
  const verifyToken = secretText(input.verifyToken, 'verifyToken', input.channel === ConnectorChannel.WHATSAPP);
  const accessToken = secretText(input.accessToken, 'accessToken', false);
  const account = input.externalAccountId?.trim();
  if (!account || account.length > 200) throw new BadInputError('externalAccountId', 'externalAccountId must be 1–200 characters');
  const connector = ctx.em.create(ChannelConnector, {
    tenantId: caller.tenantId,
    channel: input.channel,
    externalAccountId: account,
    appSecretSealed: ctx.secrets.seal(appSecret),
    verifyTokenSealed: verifyToken ? ctx.secrets.seal(verifyToken) : null,
    accessTokenSealed: accessToken ? ctx.secrets.seal(accessToken) : null,
    createdAt: ctx.clock(),
  });
  await ctx.em.flush();
  return connector;
}

export function listConnectors(ctx: IntegrationsContext): Promise<ChannelConnector[]> {
  const caller = authorize(ctx.identity, { roles: ADMIN_ROLES, scope: 'integrations:read' });
  return ctx.em.find(ChannelConnector, { tenantId: caller.tenantId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
}
