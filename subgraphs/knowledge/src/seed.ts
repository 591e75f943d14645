import type { MikroORM } from '@mikro-orm/postgresql';
import type { DemoUser, SeedResult } from '@switchboard/kit';
import { KnowledgeItem } from './modules/items/item.entity';

const DEMO_ITEMS = ['First item', 'Second item', 'Third item'];

/** Demo data once: a few items for every demo tenant. A second run writes nothing. */
export async function seedDemoItems(orm: MikroORM, directory: DemoUser[] | undefined): Promise<SeedResult> {
  if (!directory?.length) return { seeded: false };
  const em = orm.em.fork();
  if (await em.count(KnowledgeItem, {}, { filters: false })) return { seeded: false };
  const tenants = [...new Set(directory.map((u) => u.tenantId))];
  const start = Date.now() - 60_000;
  await em.transactional(async (tx) => {
    tenants.forEach((tenantId) => DEMO_ITEMS.forEach((name, i) => tx.create(KnowledgeItem, { tenantId, name, createdAt: new Date(start + i * 1000) })));
  });
  return { seeded: true };
}
