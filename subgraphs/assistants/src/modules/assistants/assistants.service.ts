import { LockMode } from '@mikro-orm/core';
import { ALL_ROLES, BadInputError, MANAGER_ROLES, NotFoundError, authorize, requireUuid, tags, text, type EntityManager } from '@switchboard/kit';
import type { AssistantsContext } from '../../context';
import { Assistant, AssistantVersion, DEFAULT_HANDOFF, type AssistantConfig, type HandoffRules } from './entities';
import { Channel, RoutingStrategy, type AssistantInput, type HandoffInput } from './graphql-types';

/** Who configures assistants: OWNER, ADMIN, SUPERVISOR (and API keys with `assistants:write`); everyone reads. */
export const WRITE = { roles: MANAGER_ROLES, scope: 'assistants:write' };
export const READ = { roles: ALL_ROLES, scope: 'assistants:read' };
const MAX_ASSISTANTS = 100;

function handoffRules(input: HandoffInput | null | undefined): HandoffRules {
  const rules: HandoffRules = { ...DEFAULT_HANDOFF, ...Object.fromEntries(Object.entries(input ?? {}).filter(([, v]) => v != null)) };
  if (!(rules.minConfidence >= 0 && rules.minConfidence <= 1)) throw new BadInputError('handoff.minConfidence', 'minConfidence must be between 0 and 1');
  if (!Number.isInteger(rules.maxBotTurns) || rules.maxBotTurns < 1 || rules.maxBotTurns > 100) throw new BadInputError('handoff.maxBotTurns', 'maxBotTurns must be 1–100');
  rules.blockedTopics = tags(rules.blockedTopics, 'handoff.blockedTopics', 50);
  return rules;
}

/** The checked configuration of an input: BAD_USER_INPUT names the field. */
export function configOf(input: AssistantInput): AssistantConfig {
  const channels = [...new Set(input.channels ?? [])];
  if (!channels.length) throw new BadInputError('channels', 'an assistant answers on at least one channel');
  if (channels.some((c) => !Object.values(Channel).includes(c))) throw new BadInputError('channels', 'unknown channel');
  if (input.routing != null && !Object.values(RoutingStrategy).includes(input.routing)) throw new BadInputError('routing', 'unknown routing strategy');
  return {
    name: text(input.name, 'name', 120),
    instructions: text(input.instructions, 'instructions', 8_000),
    knowledgeTags: tags(input.knowledgeTags, 'knowledgeTags', 50).map((t) => t.toLowerCase()),
    channels,
    routing: input.routing ?? null,
    handoff: handoffRules(input.handoff),
  };
}

export async function findAssistant(ctx: AssistantsContext, id: string, lock = false): Promise<Assistant> {
  const caller = authorize(ctx.identity, READ);
  requireUuid(id, 'id');
  const found = await ctx.em.findOne(Assistant, { id, tenantId: caller.tenantId }, lock ? { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true } : {});
  if (!found) throw new NotFoundError('Assistant', id);
  return found;
}

export async function listAssistants(ctx: AssistantsContext): Promise<Assistant[]> {
  const caller = authorize(ctx.identity, READ);
  return ctx.em.find(Assistant, { tenantId: caller.tenantId }, { orderBy: { createdAt: 'asc', id: 'asc' }, limit: MAX_ASSISTANTS });
}

const versionRow = (em: EntityManager, a: Assistant, config: AssistantConfig) =>
  em.create(AssistantVersion, { assistantId: a.id, version: a.latestVersion, tenantId: a.tenantId, config });

export async function createAssistant(ctx: AssistantsContext, input: AssistantInput): Promise<Assistant> {
  const caller = authorize(ctx.identity, WRITE);
  const config = configOf(input);
  return ctx.em.transactional(async (em) => {
    if ((await em.count(Assistant, { tenantId: caller.tenantId })) >= MAX_ASSISTANTS) throw new BadInputError('input', `at most ${MAX_ASSISTANTS} assistants per tenant`);
    const a = em.create(Assistant, { tenantId: caller.tenantId, ...config, latestVersion: 1, activeVersion: 1 });
    em.persist([a, versionRow(em, a, config)]);
    return a;
  });
}

/** A new version with the whole input; the active version stays until promoted (or, when not active yet, moves along). */
export async function updateAssistant(ctx: AssistantsContext, id: string, input: AssistantInput): Promise<Assistant> {
  authorize(ctx.identity, WRITE);
  const config = configOf(input);
  return ctx.em.transactional(async (em) => {
    const a = await findAssistant({ ...ctx, em }, id, true);
    Object.assign(a, config, { latestVersion: a.latestVersion + 1, updatedAt: new Date() });
    // An assistant nobody talks to yet follows its newest version; a live one changes only by rollout or promotion.
    if (!a.active) a.activeVersion = a.latestVersion;
    em.persist(versionRow(em, a, config));
    return a;
  });
}

/** The tenant's assistant for its channels: others active on any of those channels step back. */
export async function activateAssistant(ctx: AssistantsContext, id: string): Promise<Assistant> {
  const caller = authorize(ctx.identity, WRITE);
  return ctx.em.transactional(async (em) => {
    const a = await findAssistant({ ...ctx, em }, id, true);
    const others = await em.find(Assistant, { tenantId: caller.tenantId, active: true, id: { $ne: a.id } });
    for (const o of others) if (o.channels.some((c) => a.channels.includes(c))) Object.assign(o, { active: false, updatedAt: new Date() });
    Object.assign(a, { active: true, updatedAt: new Date() });
    return a;
  });
}

export async function deactivateAssistant(ctx: AssistantsContext, id: string): Promise<Assistant> {
  authorize(ctx.identity, WRITE);
  return ctx.em.transactional(async (em) => {
    const a = await findAssistant({ ...ctx, em }, id, true);
    Object.assign(a, { active: false, updatedAt: new Date() });
    return a;
  });
}

function checkVersion(a: Assistant, version: number): void {
  if (!Number.isInteger(version) || version < 1 || version > a.latestVersion) throw new BadInputError('version', `version must be 1–${a.latestVersion}`);
}

export async function startRollout(ctx: AssistantsContext, id: string, version: number, sharePercent: number): Promise<Assistant> {
  authorize(ctx.identity, WRITE);
  return ctx.em.transactional(async (em) => {
    const a = await findAssistant({ ...ctx, em }, id, true);
    checkVersion(a, version);
    if (version === a.activeVersion) throw new BadInputError('version', 'that version is already the active one');
    if (!Number.isInteger(sharePercent) || sharePercent < 1 || sharePercent > 99) throw new BadInputError('sharePercent', 'sharePercent must be 1–99 (promote the version for 100)');
    Object.assign(a, { candidateVersion: version, candidateShare: sharePercent, updatedAt: new Date() });
    return a;
  });
}

export async function promoteAssistantVersion(ctx: AssistantsContext, id: string, version: number): Promise<Assistant> {
  authorize(ctx.identity, WRITE);
  return ctx.em.transactional(async (em) => {
    const a = await findAssistant({ ...ctx, em }, id, true);
    checkVersion(a, version);
    Object.assign(a, { activeVersion: version, candidateVersion: null, candidateShare: 0, updatedAt: new Date() });
    return a;
  });
}

export async function stopRollout(ctx: AssistantsContext, id: string): Promise<Assistant> {
  authorize(ctx.identity, WRITE);
  return ctx.em.transactional(async (em) => {
    const a = await findAssistant({ ...ctx, em }, id, true);
    Object.assign(a, { candidateVersion: null, candidateShare: 0, updatedAt: new Date() });
    return a;
  });
}
