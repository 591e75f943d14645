import type { MikroORM } from '@mikro-orm/postgresql';
import type { DemoUser, SeedResult } from '@switchboard/kit';
import { AnalyticsItem } from './modules/items/item.entity';

const DEMO_ITEMS = ['First item', 'Second item', 'Third item'];

/** Demo data once: a few items for every demo tenant. A second run writes nothing. */
export async function seedDemoItems(orm: MikroORM, directory: DemoUser[] | undefined): Promise<SeedResult> {
  if (!directory?.length) return { seeded: false };
  const em = orm.em.fork();
  if (await em.count(AnalyticsItem, {}, { filters: false })) return { seeded: false };
  const tenants = [...new Set(directory.map((u) => u.tenantId))];
  const start = Date.now() - 60_000;
  await em.transactional(async (tx) => {
    tenants.forEach((tenantId) => DEMO_ITEMS.forEach((name, i) => tx.create(AnalyticsItem, { tenantId, name, createdAt: new Date(start + i * 1000) })));
  });
  return { seeded: true };
}
