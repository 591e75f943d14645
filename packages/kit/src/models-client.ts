import { AppError, isErrorCode } from './errors';
import { IDENTITY_HEADER, signIdentity } from './identity';
import { currentScope } from './context';

/**
 * The typed client for the models subgraph's internal API: how knowledge, the assistant and
 * triage call a model on behalf of a tenant (no other service talks to a provider). Each call
 * is signed with the internal secret for audience `models`, once, as a `service` identity.
 * Errors come back as AppError with the models subgraph's code (QUOTA_EXCEEDED,
 * BAD_USER_INPUT, UPSTREAM_UNAVAILABLE, …).
 */
export type ModelsMessageRole = 'SYSTEM' | 'USER' | 'ASSISTANT';
export type ModelsPriority = 'LOW' | 'NORMAL' | 'HIGH' | 'URGENT';
export type ModelsAttemptOutcome = 'OK' | 'ERROR' | 'RATE_LIMITED' | 'TIMEOUT' | 'CIRCUIT_OPEN' | 'OVER_BUDGET';

export interface ModelsCompleteInput {
  messages: { role: ModelsMessageRole; content: string }[];
  maxTokens?: number;
  temperature?: number;
  /** URGENT (or work on an AT_RISK ticket): never falls back to a model cheaper than the first choice. */
  priority?: ModelsPriority;
  /** Use the response cache (default true). */
  cache?: boolean;
  /** Overrides the tenant's routing strategy for this call (an assistant's own routing). */
  strategy?: 'CHEAPEST' | 'FASTEST' | 'BEST_QUALITY' | 'ORDERED';
}

export interface ModelsCompletion {
  text: string;
  model: string;
  cacheHit: boolean;
  piiMasked: number;
  usage: { inputTokens: number; outputTokens: number; costUsd: number };
  attempts: { model: string; outcome: ModelsAttemptOutcome; httpStatus: number | null; latencyMs: number }[];
}

export interface ModelsEmbeddings {
  /** Store it with the vectors: vectors of different models do not compare. */
  model: string;
  dimensions: number;
  vectors: number[][];
  piiMasked: number;
  usage: { inputTokens: number; costUsd: number };
}

export interface ModelsClientOptions {
  /** The models subgraph's URL (its /graphql URL or its origin). */
  url: string;
  secret: string;
  /** Who is calling, for `aiUsage(groupBy: [ASSISTANT])` (e.g. "knowledge", "assistant"). */
  assistant?: string;
  timeoutMs?: number;
}

export interface ModelsClient {
  /** `assistant` overrides the client's for this call (usage is grouped by it). */
  complete(tenantId: string, input: ModelsCompleteInput, assistant?: string): Promise<ModelsCompletion>;
  embed(tenantId: string, texts: string[]): Promise<ModelsEmbeddings>;
}

export function modelsClient(options: ModelsClientOptions): ModelsClient {
  async function call<T>(path: string, body: Record<string, unknown>, assistant = options.assistant): Promise<T> {
    let response: Response;
    try {
      response = await fetch(new URL(path, options.url), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [IDENTITY_HEADER]: signIdentity({ kind: 'service', roles: [], scopes: [], audience: 'models', requestId: currentScope()?.requestId }, options.secret),
        },
        body: JSON.stringify({ ...body, assistant }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
      });
    } catch {
      throw new AppError('UPSTREAM_UNAVAILABLE', 'The models service did not answer', { service: 'models' });
    }
    const json = (await response.json().catch(() => ({}))) as { error?: { code?: string; message?: string } } & T;
    if (!response.ok) {
      const code = json.error?.code;
      const { code: _c, message: _m, ...rest } = (json.error ?? {}) as Record<string, unknown>;
      throw new AppError(isErrorCode(code) ? code : 'UPSTREAM_UNAVAILABLE', json.error?.message ?? `models answered ${response.status}`, { service: 'models', ...rest });
    }
    return json;
  }
  return {
    complete: (tenantId, input, assistant) => call<ModelsCompletion>('/internal/complete', { tenantId, input }, assistant),
    embed: (tenantId, texts) => call<ModelsEmbeddings>('/internal/embed', { tenantId, texts }),
  };
}
