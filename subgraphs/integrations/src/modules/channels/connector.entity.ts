import { Entity, Enum, Filter, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { TenantOwned, tenantFilter } from '@switchboard/kit';
import { Field, ObjectType, registerEnumType } from 'type-graphql';

export enum ConnectorChannel {
  WHATSAPP = 'WHATSAPP',
  SLACK = 'SLACK',
}
registerEnumType(ConnectorChannel, {
  name: 'ConnectorChannel',
  valuesConfig: {
    WHATSAPP: { description: 'WhatsApp Cloud API (Meta): X-Hub-Signature-256, the hub.challenge handshake.' },
    SLACK: { description: 'Slack Events API: v0 signatures, url_verification.' },
  },
});

export enum ChannelConnectorStatus {
  ACTIVE = 'ACTIVE',
  DISABLED = 'DISABLED',
}
registerEnumType(ChannelConnectorStatus, { name: 'ChannelConnectorStatus' });

@Entity({ tableName: 'channel_connector' })
@Filter(tenantFilter)
@ObjectType({ description: 'An inbound messaging channel: the provider calls `inboundUrl`, customers’ messages become conversations.' })
export class ChannelConnector extends TenantOwned {
  [OptionalProps]?: 'createdAt' | 'status' | 'accessTokenSealed';

  @Enum({ items: () => ConnectorChannel, type: 'text' })
  @Field(() => ConnectorChannel)
  channel!: ConnectorChannel;

  @Property({ type: 'text' })
  @Field({ description: 'WhatsApp: the phone number id; Slack: the team id.' })
  externalAccountId!: string;

  @Enum({ items: () => ChannelConnectorStatus, type: 'text' })
  @Field(() => ChannelConnectorStatus)
  status: ChannelConnectorStatus = ChannelConnectorStatus.ACTIVE;

  /** WhatsApp: the app secret; Slack: the signing secret. Sealed. */
  @Property({ type: 'text' })
  appSecretSealed!: string;

  @Property({ type: 'text', nullable: true })
  verifyTokenSealed: string | null = null;

  /** For replies: WhatsApp's access token, Slack's bot token. Sealed. */
  @Property({ type: 'text', nullable: true })
  accessTokenSealed: string | null = null;
}

/** One provider thread (a WhatsApp sender, a Slack channel) ↔ one conversation. */
@Entity({ tableName: 'channel_thread' })
@Filter(tenantFilter)
export class ChannelThread {
  @PrimaryKey({ type: 'uuid' })
  connectorId!: string;

  @PrimaryKey({ type: 'text' })
  externalThreadId!: string;

  @Property({ type: 'uuid' })
  tenantId!: string;

  @Property({ type: 'uuid' })
  conversationId!: string;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
