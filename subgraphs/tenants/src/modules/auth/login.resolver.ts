import { Arg, Ctx, Field, Mutation, ObjectType, Resolver } from 'type-graphql';
import { TENANT_FILTER, UnauthenticatedError, signJwt } from '@switchboard/kit';
import type { TenantsContext } from '../../context';
import { Tenant, TenantStatus } from '../tenants/tenant.entity';
import { User } from '../users/user.entity';
import { createLoaders } from '../../loaders';
import { DUMMY_HASH, verifyPassword } from './password';

@ObjectType()
export class LoginPayload {
  @Field({ description: 'Send as `Authorization: Bearer <token>`.' })
  token!: string;

  @Field()
  expiresAt!: Date;

  @Field(() => User)
  user!: User;
}

const INVALID = 'Invalid email or password';

@Resolver()
export class LoginResolver {
  @Mutation(() => LoginPayload, { description: 'The one operation anonymous callers may run.' })
  async login(@Arg('email') email: string, @Arg('password') password: string, @Ctx() ctx: TenantsContext): Promise<LoginPayload> {
    const normalized = email.trim().toLowerCase();
    // Emails are unique across tenants, so this one lookup crosses them on purpose.
    const user = normalized.length <= 254
      ? await ctx.em.findOne(User, { email: normalized }, { filters: false, populate: ['passwordHash'] })
      : null;
    const ok = await verifyPassword(password.slice(0, 200), user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) throw new UnauthenticatedError(INVALID);
    const tenant = await ctx.em.findOne(Tenant, user.tenantId);
    if (tenant?.status !== TenantStatus.ACTIVE) throw new UnauthenticatedError('This tenant is suspended');
    const { token, expiresAt } = signJwt({ sub: user.id, tid: user.tenantId, role: user.role }, ctx.config.JWT_SECRET, ctx.config.JWT_TTL_SECONDS);
    // The rest of this answer (user { tenant … }) is read as the user who just signed in.
    ctx.identity = { kind: 'user', tenantId: user.tenantId, userId: user.id, roles: [user.role], scopes: [], exp: expiresAt.getTime() / 1000 };
    ctx.em.setFilterParams(TENANT_FILTER, { tenantId: user.tenantId });
    ctx.loaders = createLoaders(ctx.cache, ctx.em, ctx.identity);
    return { token, expiresAt, user };
  }
}
