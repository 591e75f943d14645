import { Arg, Ctx, Field, Mutation, ObjectType, Resolver } from 'type-graphql';
import { TENANT_FILTER, UnauthenticatedError, signJwt, type EntityManager } from '@switchboard/kit';
import type { TenantsContext } from '../../context';
import { Tenant, TenantStatus } from '../tenants/tenant.entity';
import { User } from '../users/user.entity';
import { createLoaders } from '../../loaders';
import { requireNoControl } from '../users/inputs';
import { dummyHash, hashPassword, needsRehash, verifyPassword } from './password';

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
/** Never a tenant's id: what the user lookup asks for when the slug names no tenant. */
const NO_TENANT = '00000000-0000-0000-0000-000000000000';

/**
 * The one account these credentials may stand for, or null. Emails are unique per tenant,
 * so an address may have accounts in several tenants: without a slug it names an account
 * only when it has exactly one; with a slug, the one in that tenant. The same queries run
 * whether or not anything matches (an unknown slug still asks for users), so neither the
 * answer nor the work done tells an attacker which addresses or tenants exist.
 */
async function findAccount(em: EntityManager, email: string, slug: string | undefined): Promise<User | null> {
  if (!email || email.length > 254 || (slug !== undefined && slug.length > 100)) return null;
  let tenantId: string | undefined;
  if (slug !== undefined) tenantId = (await em.findOne(Tenant, { slug }))?.id ?? NO_TENANT;
  // Emails are unique per tenant, so without a slug this lookup crosses tenants on purpose.
  const where = tenantId ? { email, tenantId } : { email };
  const users = await em.find(User, where, { filters: false, populate: ['passwordHash'], limit: 2 });
  return users.length === 1 ? users[0]! : null;
}

@Resolver()
export class LoginResolver {
  @Mutation(() => LoginPayload, { description: 'The one operation anonymous callers may run.' })
  async login(
    @Arg('email') email: string,
    @Arg('password') password: string,
    @Ctx() ctx: TenantsContext,
    @Arg('tenant', () => String, {
      nullable: true,
      description:
        'The tenant’s slug (e.g. `acme`). Needed only when this email has accounts in more than one tenant; without it such a login fails exactly like a wrong password.',
    })
    tenant?: string | null,
  ): Promise<LoginPayload> {
    const normalized = requireNoControl(email, 'email').trim().toLowerCase();
    const slug = tenant === undefined || tenant === null ? undefined : requireNoControl(tenant, 'tenant').trim().toLowerCase();
    const cost = ctx.config.PASSWORD_SCRYPT_N;
    const user = await findAccount(ctx.em, normalized, slug);
    // Exactly one scrypt at the current cost whatever happened above: no account, several
    // accounts and no slug, or a wrong password all cost the same and answer the same.
    const secret = password.slice(0, 200);
    const ok = await verifyPassword(secret, user?.passwordHash ?? dummyHash(cost));
    if (!user || !ok) throw new UnauthenticatedError(INVALID);
    const tenantRow = await ctx.em.findOne(Tenant, user.tenantId);
    if (tenantRow?.status !== TenantStatus.ACTIVE) throw new UnauthenticatedError('This tenant is suspended');
    if (needsRehash(user.passwordHash, cost)) {
      // A hash from before the cost was raised: replace it now that we know the password.
      // Bookkeeping, not a change anyone made: a plain update, unaudited (hashes are redacted anyway).
      await ctx.em.nativeUpdate(User, { id: user.id }, { passwordHash: await hashPassword(secret, cost) }, { filters: false });
    }
    const { token, expiresAt } = signJwt({ sub: user.id, tid: user.tenantId, role: user.role }, ctx.config.JWT_SECRET, ctx.config.JWT_TTL_SECONDS);
    // The rest of this answer (user { tenant … }) is read as the user who just signed in.
    ctx.identity = { kind: 'user', tenantId: user.tenantId, userId: user.id, roles: [user.role], scopes: [], exp: expiresAt.getTime() / 1000 };
    ctx.em.setFilterParams(TENANT_FILTER, { tenantId: user.tenantId });
    ctx.loaders = createLoaders(ctx.cache, ctx.em, ctx.identity);
    return { token, expiresAt, user };
  }
}
