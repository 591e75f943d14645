import { Entity, Filter, OptionalProps, Property } from '@mikro-orm/core';
import { TenantOwned, connectionType, tenantFilter } from '@switchboard/kit';
import { Directive, Field, ObjectType } from 'type-graphql';

/** The example entity this subgraph was scaffolded with: rename it, or replace it with your own. */
@Entity({ tableName: 'integrations_item' })
@Filter(tenantFilter)
@ObjectType({ description: 'An item of the integrations subgraph (the scaffold’s example entity).' })
@Directive('@key(fields: "id")')
export class IntegrationsItem extends TenantOwned {
  [OptionalProps]?: 'createdAt';

  @Property({ type: 'text' })
  @Field({ description: 'What the item is called (1–200 characters).' })
  name!: string;
}

export const IntegrationsItemConnection = connectionType(IntegrationsItem, 'IntegrationsItem');
