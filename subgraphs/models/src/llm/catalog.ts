import type { ModelRow, ProviderRow } from '../modules/catalog/entities';
import type { Priority, Strategy } from './routing';

/* The LLM gateway's vocabulary and catalog: providers and models as a call needs them (a tenant's rows, or the
 * operator's platform providers from env), the routing policy's shape, the messages of a chat. */

export type ProviderKind = 'OPENAI' | 'AZURE_OPENAI' | 'OPENAI_COMPATIBLE' | 'LOCAL';
export type Purpose = 'CHAT' | 'EMBEDDING';
export type Role = 'SYSTEM' | 'USER' | 'ASSISTANT';
export type Outcome = 'OK' | 'ERROR' | 'RATE_LIMITED' | 'TIMEOUT' | 'CIRCUIT_OPEN' | 'OVER_BUDGET';

export interface ResolvedProvider {
  id: string;
  name: string;
  kind: ProviderKind;
  baseUrl: string | null;
  timeoutMs: number;
  platform: boolean;
  hasApiKey: boolean;
  createdAt: Date;
  /** Sealed key (tenant providers) or the operator's key (platform providers): read only to build a client. */
  secret: { sealed?: string | null; plain?: string | null };
  version: string;
}

export interface ResolvedModel {
  id: string;
  name: string;
  purpose: Purpose;
  contextWindow: number;
  inputPricePer1K: number;
  outputPricePer1K: number;
  quality: number;
  platform: boolean;
  provider: ResolvedProvider;
  createdAt: Date;
}

export interface Policy {
  strategy: Strategy;
  chain: string[];
  maxCostPerRequestUsd: number | null;
  cacheTtlSeconds: number;
  monthlyBudgetUsd: number | null;
}

export const STRATEGIES: readonly Strategy[] = ['CHEAPEST', 'FASTEST', 'BEST_QUALITY', 'ORDERED'];
export const DEFAULT_POLICY: Policy = { strategy: 'CHEAPEST', chain: [], maxCostPerRequestUsd: null, cacheTtlSeconds: 3600, monthlyBudgetUsd: null };

export interface ChatMessage {
  role: Role;
  content: string;
}

export interface CompleteInput {
  messages: ChatMessage[];
  maxTokens?: number | null;
  temperature?: number | null;
  priority?: Priority | null;
  cache?: boolean | null;
  /** Overrides the tenant policy's strategy for this call (an assistant's own routing); the policy's chain, budget and cache still apply. */
  strategy?: Strategy | null;
}

export interface Attempt {
  model: string;
  outcome: Outcome;
  httpStatus: number | null;
  latencyMs: number;
}

export interface Completion {
  text: string;
  model: string;
  cacheHit: boolean;
  piiMasked: number;
  usage: { inputTokens: number; outputTokens: number; costUsd: number };
  attempts: Attempt[];
}

export interface Embeddings {
  model: string;
  dimensions: number;
  vectors: number[][];
  piiMasked: number;
  usage: { inputTokens: number; costUsd: number };
}

export interface Simulation {
  model: ResolvedModel | null;
  chain: ResolvedModel[];
  inputTokens: number;
  estimatedCostUsd: number;
}

/**
 * The built-in LOCAL provider and its two models: what a tenant with nothing configured uses.
 * Platform ids never contain one another (`provider-…`, `model-…`), so no id shows up inside another.
 */
export const LOCAL_PROVIDER_ID = 'provider-local';
export const LOCAL_CHAT_MODEL_ID = 'model-local-chat';
export const LOCAL_EMBEDDING_MODEL_ID = 'model-local-embedding';

export interface PlatformProviderSpec {
  name: string;
  kind: ProviderKind;
  baseUrl?: string;
  apiKey?: string;
  timeoutMs?: number;
  models: { name: string; purpose: Purpose; contextWindow?: number; inputPricePer1K?: number; outputPricePer1K?: number; quality?: number }[];
}

const EPOCH = new Date(0);

/** The operator's providers (MODELS_PLATFORM_PROVIDERS) plus the built-in LOCAL one. */
export function platformCatalog(json: string | undefined): { local: ResolvedModel[]; declared: ResolvedModel[] } {
  const localProvider: ResolvedProvider = {
    id: LOCAL_PROVIDER_ID, name: 'local', kind: 'LOCAL', baseUrl: null, timeoutMs: 1000, platform: true, hasApiKey: false, createdAt: EPOCH, secret: {}, version: '0',
  };
  const local: ResolvedModel[] = [
    { id: LOCAL_CHAT_MODEL_ID, name: 'local-extractive', purpose: 'CHAT', contextWindow: 32_768, inputPricePer1K: 0, outputPricePer1K: 0, quality: 1, platform: true, provider: localProvider, createdAt: EPOCH },
    { id: LOCAL_EMBEDDING_MODEL_ID, name: 'local-embedding', purpose: 'EMBEDDING', contextWindow: 32_768, inputPricePer1K: 0, outputPricePer1K: 0, quality: 1, platform: true, provider: localProvider, createdAt: EPOCH },
  ];
  if (!json) return { local, declared: [] };
  let specs: PlatformProviderSpec[];
  try {
    specs = JSON.parse(json) as PlatformProviderSpec[];
    if (!Array.isArray(specs)) throw new Error('not an array');
  } catch (error) {
    throw new Error(`MODELS_PLATFORM_PROVIDERS is not a JSON array of providers: ${(error as Error).message}`);
  }
  const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const declared = specs.flatMap((p) => {
    const provider: ResolvedProvider = {
      id: `provider-${slug(p.name)}`, name: p.name, kind: p.kind, baseUrl: p.baseUrl ?? null, timeoutMs: p.timeoutMs ?? 30_000, platform: true,
      hasApiKey: !!p.apiKey, createdAt: EPOCH, secret: { plain: p.apiKey ?? null }, version: '0',
    };
    return (p.models ?? []).map((m) => ({
      id: `model-${slug(p.name)}-${slug(m.name)}`, name: m.name, purpose: m.purpose, contextWindow: m.contextWindow ?? 8192,
      inputPricePer1K: m.inputPricePer1K ?? 0, outputPricePer1K: m.outputPricePer1K ?? 0, quality: m.quality ?? 5, platform: true, provider, createdAt: EPOCH,
    }));
  });
  return { local, declared };
}

export function resolveProvider(row: ProviderRow): ResolvedProvider {
  return {
    id: row.id, name: row.name, kind: row.kind as ProviderKind, baseUrl: row.baseUrl ?? null, timeoutMs: row.timeoutMs, platform: false,
    hasApiKey: !!row.apiKeySealed, createdAt: row.createdAt, secret: { sealed: row.apiKeySealed ?? null }, version: row.updatedAt.toISOString(),
  };
}

export function resolveModel(row: ModelRow, provider: ResolvedProvider): ResolvedModel {
  return {
    id: row.id, name: row.name, purpose: row.purpose as Purpose, contextWindow: row.contextWindow, inputPricePer1K: row.inputPricePer1K,
    outputPricePer1K: row.outputPricePer1K, quality: row.quality, platform: false, provider, createdAt: row.createdAt,
  };
}
