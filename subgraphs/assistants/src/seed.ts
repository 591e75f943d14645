import type { MikroORM } from '@mikro-orm/postgresql';
import type { DemoUser, SeedResult } from '@switchboard/kit';
import { Assistant, AssistantVersion, DEFAULT_HANDOFF, type AssistantConfig } from './modules/assistants/entities';

export const DEMO_ASSISTANT: AssistantConfig = {
  name: 'Acme Help',
  instructions: 'You are Acme’s support assistant for merchants. Be brief and friendly, answer from the help center, and cite the article you used.',
  knowledgeTags: [],
  channels: ['WEB', 'WHATSAPP'],
  routing: null,
  handoff: { ...DEFAULT_HANDOFF, blockedTopics: ['lawyer', 'legal action', 'chargeback'] },
};

/** Demo data once: acme's active assistant on WEB and WHATSAPP, over its demo help center. A second run writes nothing. */
export async function seedDemoAssistants(orm: MikroORM, directory: DemoUser[] | undefined): Promise<SeedResult> {
  const acme = directory?.find((u) => u.tenantSlug === 'acme')?.tenantId;
  if (!acme) return { seeded: false };
  const em = orm.em.fork();
  if (await em.count(Assistant, { tenantId: acme }, { filters: false })) return { seeded: false };
  await em.transactional(async (tx) => {
    const a = tx.create(Assistant, { tenantId: acme, ...DEMO_ASSISTANT, latestVersion: 1, activeVersion: 1, active: true });
    tx.persist([a, tx.create(AssistantVersion, { assistantId: a.id, version: 1, tenantId: acme, config: DEMO_ASSISTANT })]);
  });
  return { seeded: true };
}
