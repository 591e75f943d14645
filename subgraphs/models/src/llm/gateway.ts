import type { MikroORM } from '@mikro-orm/postgresql';
import { AppError, BadInputError, type Logger, type Metrics, type Redis } from '@switchboard/kit';
import { createHash } from 'node:crypto';
import { Counter } from 'prom-client';
import { ModelRow, ProviderRow, RoutingPolicyRow } from '../modules/catalog/entities';
import { CircuitBreakers } from './breaker';
import {
  DEFAULT_POLICY,
  STRATEGIES,
  platformCatalog,
  resolveModel,
  resolveProvider,
  type Attempt,
  type CompleteInput,
  type Completion,
  type Embeddings,
  type Outcome,
  type Policy,
  type Purpose,
  type ResolvedModel,
  type ResolvedProvider,
  type Simulation,
} from './catalog';
import type { KeyRing } from './crypto';
import { Ledger, micros, type UsageDimension } from './ledger';
import { PiiMasker } from './pii';
import { CallFailure, ProviderClients } from './providers';
import { estimateCostUsd, routeOrder, type Priority, type Strategy } from './routing';
import { countChatTokens, countTokens } from './tokens';

export interface GatewayOptions {
  orm: MikroORM;
  redis?: Redis;
  metrics: Metrics;
  log: Logger;
  keys: KeyRing;
  platformProviders?: string;
  breakerFailures: number;
  breakerCooldownMs: number;
  deadlineMs: number;
  defaultMaxTokens: number;
  now?: () => number;
}

const MAX_MESSAGES = 100;
const MAX_CHARS = 200_000;
const MAX_EMBED_TEXTS = 256;
/** How long a tenant's catalog and policy are remembered between requests (ms). */
const CATALOG_TTL_MS = 5_000;

/**
 * The LLM gateway: the only code that talks to a model provider. Routing with fallback,
 * circuit breakers, the tenant-scoped response cache, the monthly budget, PII masking,
 * usage and metrics, for `complete` / `simulateRouting` and the internal API alike.
 */
export class LlmGateway {
  readonly breakers: CircuitBreakers;
  private readonly platform: { local: ResolvedModel[]; declared: ResolvedModel[] };
  private readonly providers: ProviderClients;
  private readonly latency = new Map<string, number>();
  private readonly memo = new Map<string, { until: number; value: Promise<[{ own: ResolvedModel[]; platform: ResolvedModel[] }, Policy]> }>();
  private readonly now: () => number;
  private readonly ledger: Ledger;
  private readonly m: {
    tokens: Counter<'model' | 'direction'>;
    cost: Counter<'model'>;
    requests: Counter<'model' | 'outcome'>;
    cacheHits: Counter;
  };

  constructor(private readonly options: GatewayOptions) {
    this.now = options.now ?? Date.now;
    this.breakers = new CircuitBreakers({ threshold: options.breakerFailures, cooldownMs: options.breakerCooldownMs, now: this.now });
    this.platform = platformCatalog(options.platformProviders);
    this.providers = new ProviderClients(options.keys, options.log);
    this.ledger = new Ledger({ orm: options.orm, redis: options.redis, log: options.log, now: this.now });
    const registers = [options.metrics.registry];
    this.m = {
      tokens: new Counter({ name: 'llm_tokens_total', help: 'Tokens sent to and received from model providers', labelNames: ['model', 'direction'], registers }),
      cost: new Counter({ name: 'llm_cost_usd_total', help: 'What provider calls cost, in USD', labelNames: ['model'], registers }),
      requests: new Counter({ name: 'llm_requests_total', help: 'Provider call attempts by outcome', labelNames: ['model', 'outcome'], registers }),
      cacheHits: new Counter({ name: 'llm_cache_hits_total', help: 'Completions answered from the response cache', registers }),
    };
  }

  // ------------------------------------------------------------------ catalog

  platformModels(): ResolvedModel[] {
    return [...this.platform.declared, ...this.platform.local];
  }

  platformProviders(): ResolvedProvider[] {
    return [...new Map(this.platformModels().map((m) => [m.provider.id, m.provider])).values()];
  }

  /** The tenant's own models and the platform's, with their providers. */
  async catalog(tenantId: string): Promise<{ own: ResolvedModel[]; platform: ResolvedModel[] }> {
    const em = this.options.orm.em.fork();
    const [providers, models] = await Promise.all([
      em.find(ProviderRow, { tenantId }, { filters: false, populate: ['apiKeySealed'] }),
      em.find(ModelRow, { tenantId }, { filters: false, orderBy: { createdAt: 'asc' } }),
    ]);
    const byId = new Map(providers.map((p) => [p.id, resolveProvider(p)]));
    const own = models.flatMap((m) => (byId.has(m.providerId) ? [resolveModel(m, byId.get(m.providerId)!)] : []));
    return { own, platform: this.platformModels() };
  }

  async policy(tenantId: string): Promise<Policy> {
    const row = await this.options.orm.em.fork().findOne(RoutingPolicyRow, { tenantId }, { filters: false });
    if (!row) return DEFAULT_POLICY;
    return {
      strategy: row.strategy as Strategy, chain: row.chain, maxCostPerRequestUsd: row.maxCostPerRequestUsd ?? null,
      cacheTtlSeconds: row.cacheTtlSeconds, monthlyBudgetUsd: row.monthlyBudgetUsd ?? null,
    };
  }

  /**
   * Candidates for a purpose: the policy's chain names models explicitly (own or platform,
   * the LOCAL ones included); without a chain, the tenant's own models and the operator's,
   * and only when there are none the built-in LOCAL model.
   */
  private candidates(catalog: { own: ResolvedModel[]; platform: ResolvedModel[] }, policy: Policy, purpose: Purpose): ResolvedModel[] {
    const all = [...catalog.own, ...catalog.platform].filter((m) => m.purpose === purpose);
    if (policy.chain.length) {
      const chained = all.filter((m) => policy.chain.includes(m.id));
      if (chained.length) return chained;
    }
    const preferred = [...catalog.own, ...this.platform.declared].filter((m) => m.purpose === purpose);
    return preferred.length ? preferred : this.platform.local.filter((m) => m.purpose === purpose);
  }

  /**
   * A tenant's catalog and policy, remembered for CATALOG_TTL_MS: a completion should not cost
   * three queries before it starts. Writes in this process forget it at once (`invalidate`);
   * other replicas see a change within the TTL.
   */
  private routingInputs(tenantId: string): Promise<[{ own: ResolvedModel[]; platform: ResolvedModel[] }, Policy]> {
    const now = performance.now();
    const hit = this.memo.get(tenantId);
    if (hit && hit.until > now) return hit.value;
    const value = Promise.all([this.catalog(tenantId), this.policy(tenantId)]);
    if (this.memo.size >= 10_000) this.memo.delete(this.memo.keys().next().value!);
    this.memo.set(tenantId, { until: now + CATALOG_TTL_MS, value });
    value.catch(() => this.memo.delete(tenantId));
    return value;
  }

  /** Usage, spend and what runs after the answer (ledger.ts). */
  async drain(): Promise<void> {
    return this.ledger.drain();
  }

  spentThisMonthUsd(tenantId: string): Promise<number> {
    return this.ledger.spentThisMonthUsd(tenantId);
  }

  usage(tenantId: string, from: Date, to: Date, groupBy: UsageDimension[]) {
    return this.ledger.usage(tenantId, from, to, groupBy);
  }

  /** Forget a tenant's remembered catalog and policy (after a write). */
  invalidate(tenantId: string): void {
    this.memo.delete(tenantId);
  }

  private async route(tenantId: string, purpose: Purpose, priority: Priority, strategy?: Strategy | null) {
    const [catalog, policy] = await this.routingInputs(tenantId);
    const candidates = this.candidates(catalog, policy, purpose).map((m) => ({ ...m, latencyMs: this.latency.get(m.id) }));
    const chain = policy.chain.filter((id) => candidates.some((c) => c.id === id));
    return { policy, order: routeOrder(candidates, { strategy: strategy ?? policy.strategy, chain }, priority) };
  }

  // ------------------------------------------------------------------ complete

  private validate(input: CompleteInput): { maxTokens: number; temperature: number | null } {
    if (!Array.isArray(input.messages) || !input.messages.length) throw new BadInputError('messages', 'messages must not be empty');
    if (input.messages.length > MAX_MESSAGES) throw new BadInputError('messages', `at most ${MAX_MESSAGES} messages`);
    let chars = 0;
    for (const m of input.messages) {
      if (!['SYSTEM', 'USER', 'ASSISTANT'].includes(m.role)) throw new BadInputError('messages', 'role must be SYSTEM, USER or ASSISTANT');
      if (typeof m.content !== 'string') throw new BadInputError('messages', 'content must be a string');
      chars += m.content.length;
    }
    if (chars > MAX_CHARS) throw new BadInputError('messages', `messages may hold at most ${MAX_CHARS} characters`);
    const maxTokens = input.maxTokens ?? this.options.defaultMaxTokens;
    if (!Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > 32_768) throw new BadInputError('maxTokens', 'maxTokens must be 1–32768');
    const temperature = input.temperature ?? null;
    if (temperature !== null && (!(temperature >= 0) || temperature > 2)) throw new BadInputError('temperature', 'temperature must be 0–2');
    if (input.strategy != null && !STRATEGIES.includes(input.strategy)) throw new BadInputError('strategy', `strategy must be one of ${STRATEGIES.join(', ')}`);
    return { maxTokens, temperature };
  }

  async simulate(tenantId: string, input: CompleteInput): Promise<Simulation> {
    const { maxTokens } = this.validate(input);
    const masker = new PiiMasker();
    const masked = input.messages.map((m) => ({ role: m.role, content: masker.mask(m.content) }));
    const { order } = await this.route(tenantId, 'CHAT', input.priority ?? 'NORMAL', input.strategy);
    const available = order.filter((m) => this.breakers.isAvailable(m.id));
    const first = available[0] ?? null;
    const inputTokens = countChatTokens(masked, first?.name);
    return { model: first, chain: order, inputTokens, estimatedCostUsd: first ? estimateCostUsd(first, inputTokens, maxTokens) : 0 };
  }

  async complete(tenantId: string, input: CompleteInput, assistant = 'api'): Promise<Completion> {
    const { maxTokens, temperature } = this.validate(input);
    const masker = new PiiMasker();
    const masked = input.messages.map((m) => ({ role: m.role, content: masker.mask(m.content) }));
    const { policy, order } = await this.route(tenantId, 'CHAT', input.priority ?? 'NORMAL', input.strategy);
    if (!order.length) throw new AppError('UPSTREAM_UNAVAILABLE', 'No chat model is configured for this tenant', { service: 'models' });
    const useCache = input.cache !== false && policy.cacheTtlSeconds > 0;
    const cacheKey = useCache
      ? `models:cache:${tenantId}:${createHash('sha256').update(JSON.stringify({ model: order[0]!.id, messages: masked, maxTokens, temperature })).digest('hex')}`
      : null;
    if (cacheKey) {
      const hit = await this.ledger.cacheGet(cacheKey);
      if (hit) {
        const cached = JSON.parse(hit) as { text: string; model: string; modelId: string; provider: string };
        this.m.cacheHits.inc();
        this.ledger.behind(() => this.ledger.recordUsage(tenantId, { modelId: cached.modelId, model: cached.model, provider: cached.provider }, assistant, { calls: 1, cacheHits: 1, pii: masker.count }), 'usage');
        return { text: masker.restore(cached.text), model: cached.model, cacheHit: true, piiMasked: masker.count, usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 }, attempts: [] };
      }
    }

    const deadline = performance.now() + this.options.deadlineMs;
    const attempts: Attempt[] = [];
    let refusedByBudget = false;
    let called = false;
    for (const model of order) {
      const inputTokens = countChatTokens(masked, model.name);
      const estimate = estimateCostUsd(model, inputTokens, maxTokens);
      const record = (outcome: Outcome, httpStatus: number | null, latencyMs: number) => {
        attempts.push({ model: model.name, outcome, httpStatus, latencyMs });
        this.m.requests.inc({ model: model.name, outcome });
      };
      if (policy.maxCostPerRequestUsd !== null && estimate > policy.maxCostPerRequestUsd) {
        record('OVER_BUDGET', null, 0);
        continue;
      }
      if (!this.breakers.isAvailable(model.id)) {
        record('CIRCUIT_OPEN', null, 0);
        continue;
      }
      const reserved = policy.monthlyBudgetUsd === null ? 0 : micros(estimate);
      if (!(await this.ledger.reserve(tenantId, reserved, policy.monthlyBudgetUsd))) {
        refusedByBudget = true;
        record('OVER_BUDGET', null, 0);
        continue;
      }
      let retried = false;
      for (;;) {
        const started = performance.now();
        const remaining = deadline - started;
        if (remaining <= 0) {
          await this.ledger.settle(tenantId, -reserved);
          record('TIMEOUT', null, 0);
          break;
        }
        if (!this.breakers.tryAcquire(model.id)) {
          await this.ledger.settle(tenantId, -reserved);
          record('CIRCUIT_OPEN', null, 0);
          break;
        }
        called = true;
        try {
          const answer = await this.providers.chat(model, masked, { maxTokens, temperature, timeoutMs: Math.max(1, Math.floor(Math.min(model.provider.timeoutMs, remaining))) });
          const latencyMs = Math.round(performance.now() - started);
          this.breakers.success(model.id);
          this.latency.set(model.id, this.latency.has(model.id) ? 0.8 * this.latency.get(model.id)! + 0.2 * latencyMs : latencyMs);
          record('OK', answer.httpStatus, latencyMs);
          const inTok = answer.inputTokens ?? inputTokens;
          const outTok = answer.outputTokens ?? countTokens(answer.text, model.name);
          const costUsd = estimateCostUsd(model, inTok, outTok);
          this.ledger.behind(() => this.ledger.settle(tenantId, Math.round(costUsd * 1e6) - reserved), 'budget settlement');
          this.m.tokens.inc({ model: model.name, direction: 'input' }, inTok);
          this.m.tokens.inc({ model: model.name, direction: 'output' }, outTok);
          this.m.cost.inc({ model: model.name }, costUsd);
          const ref = { modelId: model.id, model: model.name, provider: model.provider.name };
          this.ledger.behind(() => this.ledger.recordUsage(tenantId, ref, assistant, { calls: 1, inputTokens: inTok, outputTokens: outTok, costUsd, pii: masker.count }), 'usage');
          if (cacheKey) this.ledger.behind(() => this.ledger.cacheSet(cacheKey, JSON.stringify({ text: answer.text, ...ref }), policy.cacheTtlSeconds), 'cache fill');
          return { text: masker.restore(answer.text), model: model.name, cacheHit: false, piiMasked: masker.count, usage: { inputTokens: inTok, outputTokens: outTok, costUsd }, attempts };
        } catch (error) {
          const latencyMs = Math.round(performance.now() - started);
          let failure = error instanceof CallFailure ? error : new CallFailure('ERROR', null, 'provider call failed');
          // A connection that ends at the deadline is a timeout, however the runtime reports the abort.
          if (failure.outcome === 'ERROR' && failure.httpStatus === null && latencyMs >= Math.min(model.provider.timeoutMs, remaining) - 5) failure = new CallFailure('TIMEOUT', null, 'timed out');
          this.breakers.failure(model.id, failure.message);
          record(failure.outcome, failure.httpStatus, latencyMs);
          const wait = failure.retryAfterMs;
          const fits = wait !== undefined && performance.now() + wait + 50 < deadline && wait <= model.provider.timeoutMs;
          if (failure.outcome === 'RATE_LIMITED' && fits && !retried && this.breakers.isAvailable(model.id)) {
            retried = true;
            await new Promise((r) => setTimeout(r, wait));
            continue;
          }
          await this.ledger.settle(tenantId, -reserved);
          break;
        }
      }
    }
    if (refusedByBudget && !called) {
      throw new AppError('QUOTA_EXCEEDED', 'The monthly AI budget is used up', { quota: 'monthlyBudgetUsd', attempts });
    }
    throw new AppError('UPSTREAM_UNAVAILABLE', 'No model could answer', { service: 'models', attempts });
  }

  // ------------------------------------------------------------------ embeddings

  /**
   * Embeddings go to one model, never a fallback: vectors of different models do not
   * compare, so a caller stores `model` with its vectors.
   */
  async embed(tenantId: string, texts: string[], assistant = 'api'): Promise<Embeddings> {
    if (!Array.isArray(texts) || !texts.length || texts.length > MAX_EMBED_TEXTS || texts.some((t) => typeof t !== 'string')) {
      throw new BadInputError('texts', `texts must be 1–${MAX_EMBED_TEXTS} strings`);
    }
    if (texts.reduce((n, t) => n + t.length, 0) > MAX_CHARS) throw new BadInputError('texts', `texts may hold at most ${MAX_CHARS} characters`);
    const masker = new PiiMasker();
    const masked = texts.map((t) => masker.mask(t));
    const { policy, order } = await this.route(tenantId, 'EMBEDDING', 'NORMAL');
    const model = order[0];
    if (!model) throw new AppError('UPSTREAM_UNAVAILABLE', 'No embedding model is configured for this tenant', { service: 'models' });
    const inputTokens = masked.reduce((n, t) => n + countTokens(t, model.name), 0);
    const costUsd = estimateCostUsd(model, inputTokens, 0);
    const reserved = policy.monthlyBudgetUsd === null ? 0 : micros(costUsd);
    if (!(await this.ledger.reserve(tenantId, reserved, policy.monthlyBudgetUsd))) {
      this.m.requests.inc({ model: model.name, outcome: 'OVER_BUDGET' });
      throw new AppError('QUOTA_EXCEEDED', 'The monthly AI budget is used up', { quota: 'monthlyBudgetUsd' });
    }
    if (!this.breakers.tryAcquire(model.id)) {
      await this.ledger.settle(tenantId, -reserved);
      this.m.requests.inc({ model: model.name, outcome: 'CIRCUIT_OPEN' });
      throw new AppError('UPSTREAM_UNAVAILABLE', `The embedding model ${model.name} is failing; retry later`, { service: 'models' });
    }
    try {
      const result = await this.providers.embed(model, masked);
      this.breakers.success(model.id);
      this.m.requests.inc({ model: model.name, outcome: 'OK' });
      const used = result.inputTokens ?? inputTokens;
      const actual = estimateCostUsd(model, used, 0);
      this.ledger.behind(() => this.ledger.settle(tenantId, Math.round(actual * 1e6) - reserved), 'budget settlement');
      this.m.tokens.inc({ model: model.name, direction: 'input' }, used);
      this.m.cost.inc({ model: model.name }, actual);
      this.ledger.behind(() => this.ledger.recordUsage(tenantId, { modelId: model.id, model: model.name, provider: model.provider.name }, assistant, { calls: 1, inputTokens: used, costUsd: actual, pii: masker.count }), 'usage');
      return { model: model.name, dimensions: result.vectors[0]?.length ?? 0, vectors: result.vectors, piiMasked: masker.count, usage: { inputTokens: used, costUsd: actual } };
    } catch (error) {
      await this.ledger.settle(tenantId, -reserved);
      const failure = error instanceof CallFailure ? error : new CallFailure('ERROR', null, 'provider call failed');
      this.breakers.failure(model.id, failure.message);
      this.m.requests.inc({ model: model.name, outcome: failure.outcome });
      throw new AppError('UPSTREAM_UNAVAILABLE', `The embedding model ${model.name} did not answer`, { service: 'models', outcome: failure.outcome, httpStatus: failure.httpStatus });
    }
  }
}
