import type { SeedResult } from '@switchboard/kit';

/** Nothing to seed: a tenant with no providers routes to the platform's LOCAL models. */
export async function seedDemoModels(): Promise<SeedResult> {
  return { seeded: false };
}
