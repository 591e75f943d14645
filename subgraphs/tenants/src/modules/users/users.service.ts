import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import { ADMIN_ROLES, ALL_ROLES, AppError, ConflictError, ForbiddenError, NotFoundError, authorize, paginate, type Page } from '@switchboard/kit';
import type { TenantsContext } from '../../context';
import { hashPassword } from '../auth/password';
import { Tenant } from '../tenants/tenant.entity';
import { CreateUserInput, isUuid, normalizeEmail, normalizeSkills, requireText, validatePassword } from './inputs';
import { Role, User } from './user.entity';
import { emitUserUpserted } from './user.events';

/** Everyone in a tenant may see its people; keys need `users:read`. */
const READ = { roles: ALL_ROLES, scope: 'users:read' };

export async function findUser(ctx: TenantsContext, id: string): Promise<User> {
  authorize(ctx.identity, READ);
  const user = isUuid(id) ? await ctx.loaders.user.load(id) : null;
  if (!user) throw new NotFoundError('User', id);
  return user;
}

export async function listUsers(ctx: TenantsContext, args: { first?: number | null; after?: string | null }): Promise<Page<User>> {
  const caller = authorize(ctx.identity, READ);
  return paginate(ctx.em, User, { tenantId: caller.tenantId }, args);
}

export async function createUser(ctx: TenantsContext, input: CreateUserInput): Promise<User> {
  const caller = authorize(ctx.identity, { roles: ADMIN_ROLES });
  if (input.role === Role.OWNER && !caller.roles.includes('OWNER')) throw new ForbiddenError('Only an OWNER can create another OWNER');
  const email = normalizeEmail(input.email);
  const name = requireText(input.name, 'name');
  const skills = normalizeSkills(input.skills);
  const passwordHash = await hashPassword(validatePassword(input.password), ctx.config.PASSWORD_SCRYPT_N);

  try {
    return await ctx.em.transactional(async (em) => {
      // Lock the tenant row: concurrent creations then see each other's seats.
      const tenant = await em.findOneOrFail(Tenant, caller.tenantId, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if ((await em.count(User, { tenantId: caller.tenantId })) >= tenant.seats) {
        throw new AppError('QUOTA_EXCEEDED', `The ${tenant.plan} plan allows ${tenant.seats} users`, { quota: 'seats', limit: tenant.seats });
      }
      // Unique per tenant: another tenant's user with this address is none of this one's business.
      if (await em.count(User, { tenantId: caller.tenantId, email })) throw emailTaken();
      const user = em.create(User, { tenantId: caller.tenantId, email, name, role: input.role, skills, passwordHash });
      emitUserUpserted(em, user);
      await em.flush();
      return user;
    });
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw emailTaken();
    throw error;
  }
}

function emailTaken() {
  return new ConflictError('A user with this email already exists in your tenant', { field: 'email' });
}

export async function updateUserRole(ctx: TenantsContext, id: string, role: Role): Promise<User> {
  const caller = authorize(ctx.identity, { roles: ADMIN_ROLES });
  const isOwner = caller.roles.includes('OWNER');
  const updated = await ctx.em.transactional(async (em) => {
    // Lock the tenant's owners first, so two owners demoting each other at once cannot
    // both succeed and leave the tenant with none.
    const owners = await em.find(User, { tenantId: caller.tenantId, role: Role.OWNER }, { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } });
    const user = isUuid(id) ? await em.findOne(User, { id, tenantId: caller.tenantId }) : null;
    if (!user) throw new NotFoundError('User', id);
    if (!isOwner && (user.role === Role.OWNER || role === Role.OWNER)) {
      throw new ForbiddenError('Only an OWNER can grant or take away the OWNER role');
    }
    if (user.role === Role.OWNER && role !== Role.OWNER && owners.length <= 1) {
      throw new ConflictError('The last OWNER cannot be demoted; make someone else OWNER first', { field: 'role' });
    }
    if (user.role === role) return user;
    user.role = role;
    emitUserUpserted(em, user);
    await em.flush();
    return user;
  });
  // Before answering: the caller's next request must already see the new role.
  await ctx.principalChanged({ userId: updated.id });
  return updated;
}
