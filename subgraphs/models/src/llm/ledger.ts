import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger, Redis } from '@switchboard/kit';

export type UsageDimension = 'DAY' | 'MODEL' | 'PROVIDER' | 'ASSISTANT';

/** USD as whole micro-dollars, rounded up (what a budget reservation holds). */
export const micros = (usd: number) => Math.ceil(usd * 1e6 - 1e-9);

/**
 * The LLM gateway's books: the monthly budget (reserved before a call, settled after), the
 * usage rows `aiUsage` reads, the response cache (Redis, else in-process), and the
 * bookkeeping that runs after an answer is sent.
 */
export class Ledger {
  private readonly schema: string;
  private readonly now: () => number;
  private readonly memoryCache = new Map<string, { value: string; until: number }>();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly options: { orm: MikroORM; redis?: Redis; log: Logger; now: () => number }) {
    this.schema = options.orm.config.get('schema') as string;
    this.now = options.now;
  }

  /**
   * Bookkeeping that need not hold up the answer (usage rows, settlements, cache fills) runs
   * after it; reads of usage and spend in this process wait for it first, and `drain` before
   * shutdown. A failure is logged, never the caller's error.
   */
  behind(work: () => Promise<unknown>, what: string): void {
    // Started on the next turn of the event loop, after the answer is on its way: building and
    // sending the statements is CPU the caller need not wait for.
    const p = new Promise<void>((resolve) => setImmediate(resolve))
      .then(work)
      .catch((error: unknown) => this.options.log.error(`models ${what} failed`, { error: (error as Error)?.name }));
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  async drain(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  private monthOf(ms = this.now()): string {
    return new Date(ms).toISOString().slice(0, 7);
  }

  /**
   * Reserves `amount` micro-dollars of the tenant's monthly budget, atomically: one
   * conditional upsert (the row lock of ON CONFLICT … DO UPDATE … WHERE), so concurrent
   * reservations on any number of replicas serialise on the row and none can take the budget
   * past its limit. No budget: nothing to reserve; the settlement still counts the spend.
   */
  async reserve(tenantId: string, amount: number, budgetUsd: number | null): Promise<boolean> {
    if (budgetUsd === null) return true; // nothing to hold back: the settlement counts what was spent
    const rows = await this.options.orm.em.getConnection().execute<{ spent_micros: string }[]>(
      `insert into "${this.schema}"."budget" as b ("tenant_id", "month", "spent_micros") select ?, ?, ? where ? <= ?
       on conflict ("tenant_id", "month") do update set "spent_micros" = b."spent_micros" + excluded."spent_micros"
       where b."spent_micros" + excluded."spent_micros" <= ? returning "spent_micros"`,
      [tenantId, this.monthOf(), amount, amount, micros(budgetUsd), micros(budgetUsd)],
    );
    return rows.length === 1;
  }

  /** Corrects a reservation by `delta` micro-dollars (the reported cost minus the estimate; minus all of it on failure). */
  async settle(tenantId: string, delta: number): Promise<void> {
    if (delta === 0) return;
    await this.options.orm.em.getConnection().execute(
      `insert into "${this.schema}"."budget" as b ("tenant_id", "month", "spent_micros") values (?, ?, greatest(0, ?))
       on conflict ("tenant_id", "month") do update set "spent_micros" = greatest(0, b."spent_micros" + ?)`,
      [tenantId, this.monthOf(), delta, delta],
    );
  }

  async spentThisMonthUsd(tenantId: string): Promise<number> {
    await this.drain();
    const rows = await this.options.orm.em
      .getConnection()
      .execute<{ spent_micros: string }[]>(`select "spent_micros" from "${this.schema}"."budget" where "tenant_id" = ? and "month" = ?`, [tenantId, this.monthOf()]);
    return rows[0] ? Number(rows[0].spent_micros) / 1e6 : 0;
  }

  async recordUsage(
    tenantId: string,
    ref: { modelId: string; model: string; provider: string },
    assistant: string,
    n: { calls: number; inputTokens?: number; outputTokens?: number; costUsd?: number; cacheHits?: number; pii?: number },
  ): Promise<void> {
    const day = new Date(this.now()).toISOString().slice(0, 10);
    await this.options.orm.em.getConnection().execute(
      `insert into "${this.schema}"."usage" ("tenant_id", "day", "model_id", "model", "provider", "assistant", "calls", "input_tokens", "output_tokens", "cost_usd", "cache_hits", "pii_masked")
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       on conflict ("tenant_id", "day", "model_id", "assistant") do update set
         "calls" = "usage"."calls" + excluded."calls", "input_tokens" = "usage"."input_tokens" + excluded."input_tokens",
         "output_tokens" = "usage"."output_tokens" + excluded."output_tokens", "cost_usd" = "usage"."cost_usd" + excluded."cost_usd",
         "cache_hits" = "usage"."cache_hits" + excluded."cache_hits", "pii_masked" = "usage"."pii_masked" + excluded."pii_masked",
         "model" = excluded."model", "provider" = excluded."provider"`,
      [tenantId, day, ref.modelId, ref.model, ref.provider, assistant, n.calls, n.inputTokens ?? 0, n.outputTokens ?? 0, n.costUsd ?? 0, n.cacheHits ?? 0, n.pii ?? 0],
    );
  }

  async usage(tenantId: string, from: Date, to: Date, groupBy: UsageDimension[]) {
    await this.drain();
    const cols = { DAY: `to_char("day", 'YYYY-MM-DD')`, MODEL: '"model"', PROVIDER: '"provider"', ASSISTANT: '"assistant"' } as const;
    const dims = [...new Set(groupBy)];
    const select = (['DAY', 'MODEL', 'PROVIDER', 'ASSISTANT'] as const).map((d) => `${dims.includes(d) ? cols[d] : 'null'} as "${d.toLowerCase()}"`).join(', ');
    const group = dims.length ? `group by ${dims.map((d) => cols[d]).join(', ')} order by ${dims.map((d) => cols[d]).join(', ')}` : '';
    const rows = await this.options.orm.em.getConnection().execute<Record<string, unknown>[]>(
      `select ${select}, coalesce(sum("calls"), 0) as "calls", coalesce(sum("input_tokens"), 0) as "input_tokens", coalesce(sum("output_tokens"), 0) as "output_tokens",
              coalesce(sum("cost_usd"), 0) as "cost_usd", coalesce(sum("cache_hits"), 0) as "cache_hits", coalesce(sum("pii_masked"), 0) as "pii_masked"
         from "${this.schema}"."usage" where "tenant_id" = ? and "day" >= ?::date and "day" <= ?::date ${group}`,
      [tenantId, from.toISOString().slice(0, 10), to.toISOString().slice(0, 10)],
    );
    return rows.map((r) => ({
      day: (r.day as string | null) ?? null,
      model: (r.model as string | null) ?? null,
      provider: (r.provider as string | null) ?? null,
      assistant: (r.assistant as string | null) ?? null,
      calls: Number(r.calls),
      inputTokens: Number(r.input_tokens),
      outputTokens: Number(r.output_tokens),
      costUsd: Number(r.cost_usd),
      cacheHits: Number(r.cache_hits),
      piiMasked: Number(r.pii_masked),
    }));
  }

  async cacheGet(key: string): Promise<string | null> {
    if (this.options.redis) {
      try {
        return await this.options.redis.get(key);
      } catch {
        return null; // Redis down: a miss, never a failed request
      }
    }
    const hit = this.memoryCache.get(key);
    if (!hit) return null;
    if (hit.until <= this.now()) {
      this.memoryCache.delete(key);
      return null;
    }
    return hit.value;
  }

  async cacheSet(key: string, value: string, ttlSeconds: number): Promise<void> {
    if (this.options.redis) {
      await this.options.redis.set(key, value, 'EX', ttlSeconds).catch(() => {});
      return;
    }
    if (this.memoryCache.size >= 10_000) this.memoryCache.delete(this.memoryCache.keys().next().value!);
    this.memoryCache.set(key, { value, until: this.now() + ttlSeconds * 1000 });
  }
}
