import { Entity, Enum, Filter, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { TenantOwned, tenantFilter } from '@switchboard/kit';
import { Field, ObjectType, registerEnumType } from 'type-graphql';

export enum CrmProvider {
  HUBSPOT = 'HUBSPOT',
}
registerEnumType(CrmProvider, {
  name: 'CrmProvider',
  valuesConfig: { HUBSPOT: { description: 'HubSpot CRM v3 contacts API, with a private app’s access token (scopes crm.objects.contacts.read and .write).' } },
});

export enum CrmConnectorStatus {
  ACTIVE = 'ACTIVE',
  /** The CRM refused the token (401/403): nothing is synced until it is replaced. */
  ERROR = 'ERROR',
}
registerEnumType(CrmConnectorStatus, {
  name: 'CrmConnectorStatus',
  valuesConfig: { ACTIVE: { description: 'Contacts sync both ways.' }, ERROR: { description: 'The CRM refused the access token; see lastError.' } },
});

@Entity({ tableName: 'crm_connector' })
@Filter(tenantFilter)
@ObjectType({ description: 'A CRM whose contacts are kept in step with the tenant’s contacts, both ways (OWNER/ADMIN).' })
export class CrmConnector extends TenantOwned {
  [OptionalProps]?: 'createdAt' | 'status' | 'pulledUntil' | 'lastSyncAt' | 'lastError' | 'lockedUntil';

  @Enum({ items: () => CrmProvider, type: 'text' })
  @Field(() => CrmProvider)
  provider!: CrmProvider;

  @Enum({ items: () => CrmConnectorStatus, type: 'text' })
  @Field(() => CrmConnectorStatus)
  status: CrmConnectorStatus = CrmConnectorStatus.ACTIVE;

  /** The private app's token. Sealed (AES-256-GCM), never a field. */
  @Property({ type: 'text' })
  accessTokenSealed!: string;

  /** CRM changes up to this time have been pulled (the next pull asks for changes from here). */
  @Property({ type: 'timestamptz', nullable: true })
  pulledUntil: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true, description: 'The end of the last complete pull from the CRM.' })
  lastSyncAt: Date | null = null;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true, description: 'Why the last sync step failed (null after a success).' })
  lastError: string | null = null;

  /** One replica pulls at a time. */
  @Property({ type: 'timestamptz', nullable: true })
  lockedUntil: Date | null = null;
}

/**
 * One contact of ours ↔ one CRM contact, with what both sides held when they were last made
 * equal (`syncedHash`), so an echo of our own write is recognised and not synced back.
 */
@Entity({ tableName: 'crm_contact_link' })
@Filter(tenantFilter)
export class CrmContactLink {
  [OptionalProps]?: 'syncedAt';

  @PrimaryKey({ type: 'uuid' })
  connectorId!: string;

  @PrimaryKey({ type: 'uuid' })
  contactId!: string;

  @Property({ type: 'uuid' })
  tenantId!: string;

  @Property({ type: 'text' })
  externalId!: string;

  @Property({ type: 'text' })
  syncedHash!: string;

  @Property({ type: 'timestamptz' })
  syncedAt: Date = new Date();
}
