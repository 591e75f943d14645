import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { connectionType } from '@switchboard/kit';
import type { TenantsContext } from '../../context';
import { Tenant } from '../tenants/tenant.entity';
import { findTenant } from '../tenants/tenants.service';
import { CreateUserInput } from './inputs';
import { Role, User } from './user.entity';
import { createUser, findUser, listUsers, updateUserRole } from './users.service';

export const UserConnection = connectionType(User, 'User');

@Resolver(() => User)
export class UserResolver {
  @Query(() => User, { nullable: true, description: 'The signed-in user; null for API keys.' })
  async me(@Ctx() ctx: TenantsContext): Promise<User | null> {
    const { identity } = ctx;
    if (identity.kind === 'apiKey') return null;
    return findUser(ctx, identity.userId ?? '');
  }

  @Query(() => User, { description: 'A user of your tenant.' })
  user(@Arg('id', () => ID) id: string, @Ctx() ctx: TenantsContext): Promise<User> {
    return findUser(ctx, id);
  }

  @Query(() => UserConnection, { nullable: true, description: 'Your tenant’s users, oldest first.' })
  users(
    @Ctx() ctx: TenantsContext,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return listUsers(ctx, { first, after });
  }

  @Mutation(() => User, { description: 'OWNER or ADMIN. Only an OWNER creates OWNERs.' })
  createUser(@Arg('input') input: CreateUserInput, @Ctx() ctx: TenantsContext): Promise<User> {
    return createUser(ctx, input);
  }

  @Mutation(() => User, { description: 'OWNER or ADMIN. The last OWNER cannot be demoted.' })
  updateUserRole(@Arg('id', () => ID) id: string, @Arg('role', () => Role) role: Role, @Ctx() ctx: TenantsContext): Promise<User> {
    return updateUserRole(ctx, id, role);
  }

  @FieldResolver(() => Tenant)
  tenant(@Root() user: User, @Ctx() ctx: TenantsContext): Promise<Tenant> {
    return findTenant(ctx, user.tenantId);
  }
}

export const userReference = {
  User: { __resolveReference: (ref: { id: string }, ctx: TenantsContext) => findUser(ctx, ref.id) },
};
