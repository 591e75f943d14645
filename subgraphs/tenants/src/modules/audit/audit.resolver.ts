import { ADMIN_ROLES, AuditEntry, authorize, connectionType, paginate } from '@switchboard/kit';
import { GraphQLJSON } from 'graphql-scalars';
import { Arg, Ctx, Field, ID, Int, ObjectType, Query, Resolver } from 'type-graphql';
import type { TenantsContext } from '../../context';
import { SecurityEvent } from './security-event.entity';

@ObjectType({ description: 'One write: who made it, to what, when, and the fields it changed.' })
export class AuditLogEntry {
  @Field(() => ID)
  id!: string;

  @Field({ description: '`user`, `apiKey` or `system` (seeding, migrations).' })
  actorKind!: string;

  @Field(() => ID, { nullable: true, description: 'The user or API key id.' })
  actorId?: string | null;

  @Field({ description: 'The entity type, e.g. `User`.' })
  entity!: string;

  @Field(() => ID)
  entityId!: string;

  @Field({ description: '`CREATE`, `UPDATE` or `DELETE`.' })
  action!: string;

  @Field(() => GraphQLJSON, { description: '`{ field: { from, to } }`; secrets show as "[redacted]".' })
  changes!: Record<string, unknown>;

  @Field(() => String, { nullable: true })
  traceId?: string | null;

  @Field()
  createdAt!: Date;
}

const AuditLogConnection = connectionType(AuditLogEntry, 'AuditLog');
const SecurityEventConnection = connectionType(SecurityEvent, 'SecurityEvent');

@Resolver()
export class AuditResolver {
  @Query(() => AuditLogConnection, { nullable: true, description: 'OWNER or ADMIN: every write in your tenant, newest first.' })
  auditLog(
    @Ctx() ctx: TenantsContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    const caller = authorize(ctx.identity, { roles: ADMIN_ROLES });
    return paginate(ctx.em, AuditEntry, { tenantId: caller.tenantId }, { first, after }, 'desc');
  }

  @Query(() => SecurityEventConnection, {
    nullable: true,
    description: 'OWNER or ADMIN: what the gateway did against your API keys and users (blocks by threat detection), newest first.',
  })
  securityEvents(
    @Ctx() ctx: TenantsContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    const caller = authorize(ctx.identity, { roles: ADMIN_ROLES });
    return paginate(ctx.em, SecurityEvent, { tenantId: caller.tenantId }, { first, after }, 'desc');
  }
}
