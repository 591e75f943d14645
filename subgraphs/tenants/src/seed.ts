import type { MikroORM } from '@mikro-orm/postgresql';
import { hashPassword } from './modules/auth/password';
import { PLAN_QUOTAS, Plan, Tenant } from './modules/tenants/tenant.entity';
import { Role, User } from './modules/users/user.entity';
import { emitUserUpserted } from './modules/users/user.events';

/** Demo mode only: every demo user signs in with this password. */
export const DEMO_PASSWORD = 'switchboard-demo';

export const DEMO_TENANTS = [
  {
    slug: 'acme',
    name: 'Acme Corporation',
    plan: Plan.GROWTH,
    users: [
      { email: 'admin@acme.test', name: 'Ada Admin', role: Role.OWNER, skills: [] },
      { email: 'supervisor@acme.test', name: 'Sam Supervisor', role: Role.SUPERVISOR, skills: ['billing', 'technical'] },
      { email: 'agent@acme.test', name: 'Alex Agent', role: Role.AGENT, skills: ['billing', 'general'] },
      { email: 'agent2@acme.test', name: 'Blair Agent', role: Role.AGENT, skills: ['technical', 'general'] },
      { email: 'analyst@acme.test', name: 'Ana Analyst', role: Role.ANALYST, skills: [] },
    ],
  },
  {
    slug: 'globex',
    name: 'Globex',
    plan: Plan.STARTER,
    users: [
      { email: 'admin@globex.test', name: 'Hank Scorpio', role: Role.OWNER, skills: [] },
      { email: 'agent@globex.test', name: 'Gina Agent', role: Role.AGENT, skills: ['general'] },
    ],
  },
];

/**
 * Seeds the demo tenants and users once: a second run finds `acme` and does nothing.
 * `scryptN` is the password cost (default: production's); tests pass their lower one.
 */
export async function seedDemo(orm: MikroORM, options: { scryptN?: number } = {}): Promise<{ seeded: boolean }> {
  const em = orm.em.fork();
  if (await em.count(Tenant, { slug: 'acme' })) return { seeded: false };
  const hashes: string[] = [];
  // Two at a time: each hash at N = 2^17 holds 128 MiB while it runs.
  const users = DEMO_TENANTS.flatMap((t) => t.users);
  for (let i = 0; i < users.length; i += 2) {
    hashes.push(...(await Promise.all(users.slice(i, i + 2).map(() => hashPassword(DEMO_PASSWORD, options.scryptN)))));
  }
  await em.transactional(async (tx) => {
    let i = 0;
    for (const t of DEMO_TENANTS) {
      const tenant = tx.create(Tenant, { slug: t.slug, name: t.name, plan: t.plan, ...PLAN_QUOTAS[t.plan] });
      await tx.flush(); // users reference the tenant row by plain id: insert it first
      for (const u of t.users) {
        const user = tx.create(User, { tenantId: tenant.id, email: u.email, name: u.name, role: u.role, skills: u.skills, passwordHash: hashes[i++]! });
        emitUserUpserted(tx, user);
      }
    }
  });
  return { seeded: true };
}

/** Every user with their tenant's slug: what other subgraphs' demo seeds hang their data on. */
export async function demoDirectory(orm: MikroORM): Promise<{ id: string; tenantId: string; tenantSlug: string; name: string; email: string; role: string; skills: string[] }[]> {
  const em = orm.em.fork();
  const tenants = await em.find(Tenant, {});
  const slugs = new Map(tenants.map((t) => [t.id, t.slug]));
  const users = await em.find(User, {}, { filters: false, orderBy: { createdAt: 'asc', id: 'asc' } });
  return users.map((u) => ({ id: u.id, tenantId: u.tenantId, tenantSlug: slugs.get(u.tenantId) ?? '', name: u.name, email: u.email, role: u.role, skills: u.skills }));
}
