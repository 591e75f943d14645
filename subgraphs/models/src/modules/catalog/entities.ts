import { Entity, Filter, OptionalProps, Property, Unique } from '@mikro-orm/core';
import { TenantOwned, tenantFilter } from '@switchboard/kit';

/** A tenant's own provider (bring your own key). The key is sealed (AES-256-GCM); never a field. */
@Entity({ tableName: 'provider' })
@Filter(tenantFilter)
export class ProviderRow extends TenantOwned {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'apiKeySealed' | 'baseUrl';

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text' })
  kind!: string;

  @Property({ type: 'text', nullable: true })
  baseUrl?: string | null;

  @Property({ type: 'text', nullable: true, lazy: true })
  apiKeySealed?: string | null;

  @Property({ type: 'int' })
  timeoutMs!: number;

  @Property({ type: 'timestamptz' })
  updatedAt: Date = new Date();
}

@Entity({ tableName: 'model' })
@Filter(tenantFilter)
export class ModelRow extends TenantOwned {
  [OptionalProps]?: 'createdAt';

  @Property({ type: 'uuid' })
  providerId!: string;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text' })
  purpose!: string;

  @Property({ type: 'int' })
  contextWindow!: number;

  @Property({ type: 'double', fieldName: 'input_price_per1k' })
  inputPricePer1K!: number;

  @Property({ type: 'double', fieldName: 'output_price_per1k' })
  outputPricePer1K!: number;

  @Property({ type: 'int' })
  quality!: number;
}

@Entity({ tableName: 'routing_policy' })
@Filter(tenantFilter)
@Unique({ properties: ['tenantId'] })
export class RoutingPolicyRow extends TenantOwned {
  [OptionalProps]?: 'createdAt';

  @Property({ type: 'text' })
  strategy!: string;

  @Property({ type: 'jsonb' })
  chain!: string[];

  @Property({ type: 'double', nullable: true })
  maxCostPerRequestUsd?: number | null;

  @Property({ type: 'int' })
  cacheTtlSeconds!: number;

  @Property({ type: 'double', nullable: true })
  monthlyBudgetUsd?: number | null;
}
