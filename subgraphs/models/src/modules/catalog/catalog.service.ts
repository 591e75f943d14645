import { ADMIN_ROLES, ALL_ROLES, BadInputError, ConflictError, NotFoundError, authorize, type Role } from '@switchboard/kit';
import type { ModelsContext } from '../../context';
import { encryptSecret } from '../../llm/crypto';
import { resolveModel, resolveProvider, type ResolvedModel, type ResolvedProvider } from '../../llm/catalog';
import { checkBaseUrl } from '../../llm/ssrf';
import { ModelRow, ProviderRow, RoutingPolicyRow } from './entities';
import type { Model, ModelInput, ModelUpdateInput, Provider, ProviderInput, ProviderUpdateInput, RoutingPolicy, RoutingPolicyInput } from './types';

/** Who may read the catalog (no secrets in it): everyone, and API keys with `models:read`. */
const READ = { roles: ALL_ROLES, scope: 'models:read' };
/** Who may change providers, models and the policy: owners and admins (never an API key). */
const MANAGE = { roles: ADMIN_ROLES };
/** Who may call `complete`: the roles that work conversations, and API keys with `models:complete`. */
export const COMPLETE = { roles: ['OWNER', 'ADMIN', 'SUPERVISOR', 'AGENT'] as Role[], scope: 'models:complete' };
/** Who may read usage and cost. */
export const USAGE = { roles: ['OWNER', 'ADMIN', 'SUPERVISOR', 'ANALYST'] as Role[], scope: 'models:read' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function providerView(p: ResolvedProvider): Provider {
  return { id: p.id, name: p.name, kind: p.kind as Provider['kind'], baseUrl: p.baseUrl, hasApiKey: p.hasApiKey, timeoutMs: p.timeoutMs, platform: p.platform, createdAt: p.createdAt };
}

export function modelView(ctx: ModelsContext, m: ResolvedModel): Model {
  return {
    id: m.id, provider: providerView(m.provider), name: m.name, purpose: m.purpose as Model['purpose'], contextWindow: m.contextWindow,
    inputPricePer1K: m.inputPricePer1K, outputPricePer1K: m.outputPricePer1K, quality: m.quality, platform: m.platform,
    health: ctx.llm.breakers.health(m.id) as Model['health'],
  };
}

export async function listProviders(ctx: ModelsContext): Promise<Provider[]> {
  const caller = authorize(ctx.identity, READ);
  const rows = await ctx.em.find(ProviderRow, { tenantId: caller.tenantId }, { orderBy: { createdAt: 'asc' }, populate: ['apiKeySealed'] });
  return [...rows.map((r) => providerView(resolveProvider(r))), ...ctx.llm.platformProviders().map(providerView)];
}

export async function listModels(ctx: ModelsContext): Promise<Model[]> {
  const caller = authorize(ctx.identity, READ);
  const { own, platform } = await ctx.llm.catalog(caller.tenantId);
  return [...own, ...platform].map((m) => modelView(ctx, m));
}

function name(raw: string): string {
  const v = raw.trim();
  if (!v || v.length > 200) throw new BadInputError('name', 'name must be 1–200 characters');
  return v;
}

function timeout(raw: number | null | undefined): number {
  const v = raw ?? 30_000;
  if (!Number.isInteger(v) || v < 100 || v > 600_000) throw new BadInputError('timeoutMs', 'timeoutMs must be 100–600000');
  return v;
}

async function baseUrl(ctx: ModelsContext, kind: string, raw: string | null | undefined): Promise<string | null> {
  if (kind === 'LOCAL') {
    if (raw) throw new BadInputError('baseUrl', 'a LOCAL provider has no baseUrl');
    return null;
  }
  if (!raw) {
    if (kind === 'OPENAI') return null;
    throw new BadInputError('baseUrl', `a ${kind} provider needs a baseUrl`);
  }
  const checked = await checkBaseUrl(raw, ctx.config.PROVIDER_ALLOW_PRIVATE_URLS);
  if (!checked.ok) throw new BadInputError('baseUrl', checked.reason);
  return checked.url;
}

function apiKey(raw: string): string {
  if (raw.length > 4096 || /\s/.test(raw)) throw new BadInputError('apiKey', 'apiKey must be at most 4096 characters without spaces');
  return raw;
}

async function ownProvider(ctx: ModelsContext, id: string): Promise<ProviderRow> {
  const row = UUID.test(id) ? await ctx.em.findOne(ProviderRow, { id }, { populate: ['apiKeySealed'] }) : null;
  if (!row) throw new NotFoundError('Provider', id);
  return row;
}

async function uniqueName(ctx: ModelsContext, tenantId: string, value: string, except?: string) {
  const rows = await ctx.em.find(ProviderRow, { tenantId });
  if (rows.some((r) => r.id !== except && r.name.toLowerCase() === value.toLowerCase())) throw new ConflictError(`A provider named ${value} exists`);
}

export async function createProvider(ctx: ModelsContext, input: ProviderInput): Promise<Provider> {
  const caller = authorize(ctx.identity, MANAGE);
  const n = name(input.name);
  const url = await baseUrl(ctx, input.kind, input.baseUrl);
  const timeoutMs = timeout(input.timeoutMs);
  await uniqueName(ctx, caller.tenantId, n);
  const row = ctx.em.create(ProviderRow, {
    tenantId: caller.tenantId, name: n, kind: input.kind, baseUrl: url, timeoutMs,
    apiKeySealed: input.apiKey ? encryptSecret(apiKey(input.apiKey), ctx.keys) : null,
  });
  await ctx.em.flush();
  ctx.llm.invalidate(caller.tenantId);
  return providerView(resolveProvider(row));
}

export async function updateProvider(ctx: ModelsContext, id: string, input: ProviderUpdateInput): Promise<Provider> {
  const caller = authorize(ctx.identity, MANAGE);
  const row = await ownProvider(ctx, id);
  if (input.name != null) {
    row.name = name(input.name);
    await uniqueName(ctx, caller.tenantId, row.name, row.id);
  }
  if (input.baseUrl !== undefined) row.baseUrl = await baseUrl(ctx, row.kind, input.baseUrl);
  if (input.timeoutMs != null) row.timeoutMs = timeout(input.timeoutMs);
  if (input.apiKey != null) row.apiKeySealed = input.apiKey === '' ? null : encryptSecret(apiKey(input.apiKey), ctx.keys);
  row.updatedAt = new Date();
  await ctx.em.flush();
  ctx.llm.invalidate(caller.tenantId);
  return providerView(resolveProvider(row));
}

/** Deletes the provider and its models (the policy's chain simply stops naming them). */
export async function deleteProvider(ctx: ModelsContext, id: string): Promise<boolean> {
  const caller = authorize(ctx.identity, MANAGE);
  const row = await ownProvider(ctx, id);
  await ctx.em.transactional(async (tx) => {
    await tx.nativeDelete(ModelRow, { providerId: row.id });
    await tx.nativeDelete(ProviderRow, { id: row.id });
  });
  ctx.llm.invalidate(caller.tenantId);
  return true;
}

function price(field: string, v: number): number {
  if (!Number.isFinite(v) || v < 0 || v > 1000) throw new BadInputError(field, `${field} must be 0–1000 USD`);
  return v;
}
function int(field: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new BadInputError(field, `${field} must be an integer ${min}–${max}`);
  return v;
}

export async function createModel(ctx: ModelsContext, input: ModelInput): Promise<Model> {
  const caller = authorize(ctx.identity, MANAGE);
  const provider = await ownProvider(ctx, input.providerId);
  const row = ctx.em.create(ModelRow, {
    tenantId: caller.tenantId, providerId: provider.id, name: name(input.name), purpose: input.purpose,
    contextWindow: int('contextWindow', input.contextWindow ?? 8192, 1, 10_000_000),
    inputPricePer1K: price('inputPricePer1K', input.inputPricePer1K), outputPricePer1K: price('outputPricePer1K', input.outputPricePer1K),
    quality: int('quality', input.quality ?? 5, 0, 100),
  });
  await ctx.em.flush();
  ctx.llm.invalidate(caller.tenantId);
  return modelView(ctx, resolveModel(row, resolveProvider(provider)));
}

export async function updateModel(ctx: ModelsContext, id: string, input: ModelUpdateInput): Promise<Model> {
  const caller = authorize(ctx.identity, MANAGE);
  const row = UUID.test(id) ? await ctx.em.findOne(ModelRow, { id }) : null;
  if (!row) throw new NotFoundError('Model', id);
  if (input.name != null) row.name = name(input.name);
  if (input.contextWindow != null) row.contextWindow = int('contextWindow', input.contextWindow, 1, 10_000_000);
  if (input.inputPricePer1K != null) row.inputPricePer1K = price('inputPricePer1K', input.inputPricePer1K);
  if (input.outputPricePer1K != null) row.outputPricePer1K = price('outputPricePer1K', input.outputPricePer1K);
  if (input.quality != null) row.quality = int('quality', input.quality, 0, 100);
  await ctx.em.flush();
  ctx.llm.invalidate(caller.tenantId);
  const provider = await ownProvider(ctx, row.providerId);
  return modelView(ctx, resolveModel(row, resolveProvider(provider)));
}

export async function deleteModel(ctx: ModelsContext, id: string): Promise<boolean> {
  const caller = authorize(ctx.identity, MANAGE);
  const deleted = UUID.test(id) ? await ctx.em.nativeDelete(ModelRow, { id, tenantId: caller.tenantId }) : 0;
  if (!deleted) throw new NotFoundError('Model', id);
  ctx.llm.invalidate(caller.tenantId);
  return true;
}

export async function getPolicy(ctx: ModelsContext): Promise<RoutingPolicy> {
  const caller = authorize(ctx.identity, READ);
  const [policy, spent] = await Promise.all([ctx.llm.policy(caller.tenantId), ctx.llm.spentThisMonthUsd(caller.tenantId)]);
  return { ...policy, strategy: policy.strategy as RoutingPolicy['strategy'], spentThisMonthUsd: spent };
}

export async function setPolicy(ctx: ModelsContext, input: RoutingPolicyInput): Promise<RoutingPolicy> {
  const caller = authorize(ctx.identity, MANAGE);
  const chain = [...new Set(input.chain ?? [])];
  if (chain.length > 20) throw new BadInputError('chain', 'chain may name at most 20 models');
  const { own, platform } = await ctx.llm.catalog(caller.tenantId);
  const known = new Set([...own, ...platform].map((m) => m.id));
  const unknown = chain.find((id) => !known.has(id));
  if (unknown) throw new NotFoundError('Model', unknown); // another tenant's model is not found, like none
  const maxCost = input.maxCostPerRequestUsd ?? null;
  if (maxCost !== null && !(maxCost > 0)) throw new BadInputError('maxCostPerRequestUsd', 'maxCostPerRequestUsd must be positive');
  const budget = input.monthlyBudgetUsd ?? null;
  if (budget !== null && !(budget >= 0)) throw new BadInputError('monthlyBudgetUsd', 'monthlyBudgetUsd must be ≥ 0');
  const ttl = int('cacheTtlSeconds', input.cacheTtlSeconds ?? 3600, 0, 30 * 86_400);
  const values = { strategy: input.strategy, chain, maxCostPerRequestUsd: maxCost, cacheTtlSeconds: ttl, monthlyBudgetUsd: budget };
  const row = await ctx.em.findOne(RoutingPolicyRow, { tenantId: caller.tenantId });
  if (row) Object.assign(row, values);
  else ctx.em.create(RoutingPolicyRow, { tenantId: caller.tenantId, ...values });
  await ctx.em.flush();
  ctx.llm.invalidate(caller.tenantId);
  return getPolicy(ctx);
}
