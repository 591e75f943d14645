/**
 * The routing choice, pure: which models a request may go to and in which order.
 */
export type Strategy = 'CHEAPEST' | 'FASTEST' | 'BEST_QUALITY' | 'ORDERED';
export type Priority = 'LOW' | 'NORMAL' | 'HIGH' | 'URGENT';

export interface Candidate {
  id: string;
  name: string;
  inputPricePer1K: number;
  outputPricePer1K: number;
  quality: number;
  /** Measured mean latency (ms), if this process has seen the model answer. */
  latencyMs?: number;
}

export interface PolicyLike {
  strategy: Strategy;
  chain: string[];
}

/** Price of a typical request (1K in, 1K out): what CHEAPEST and URGENT compare. */
export const unitPrice = (m: Pick<Candidate, 'inputPricePer1K' | 'outputPricePer1K'>) => m.inputPricePer1K + m.outputPricePer1K;

export function estimateCostUsd(m: Pick<Candidate, 'inputPricePer1K' | 'outputPricePer1K'>, inputTokens: number, outputTokens: number): number {
  return (inputTokens * m.inputPricePer1K + outputTokens * m.outputPricePer1K) / 1000;
}

/**
 * The order to try: with a chain, only the chain's models (ORDERED keeps its order, the
 * other strategies sort it); without one, every candidate sorted by the strategy. Ties go
 * to the better quality, then the name. FASTEST puts models never measured last.
 * URGENT work never falls back to a model cheaper than the first choice.
 */
export function routeOrder<T extends Candidate>(candidates: T[], policy: PolicyLike, priority: Priority = 'NORMAL'): T[] {
  const byId = new Map(candidates.map((c) => [c.id, c]));
  const pool = policy.chain.length ? policy.chain.map((id) => byId.get(id)).filter((c): c is T => !!c) : [...candidates];
  const tie = (a: T, b: T) => b.quality - a.quality || a.name.localeCompare(b.name);
  let ordered: T[];
  switch (policy.strategy) {
    case 'ORDERED':
      ordered = policy.chain.length ? pool : pool.sort(tie);
      break;
    case 'CHEAPEST':
      ordered = pool.sort((a, b) => unitPrice(a) - unitPrice(b) || tie(a, b));
      break;
    case 'BEST_QUALITY':
      ordered = pool.sort((a, b) => b.quality - a.quality || unitPrice(a) - unitPrice(b) || a.name.localeCompare(b.name));
      break;
    case 'FASTEST':
      ordered = pool.sort((a, b) => (a.latencyMs ?? Infinity) - (b.latencyMs ?? Infinity) || tie(a, b));
      break;
  }
  if (priority === 'URGENT' && ordered.length) {
    const floor = unitPrice(ordered[0]!);
    ordered = ordered.filter((m) => unitPrice(m) >= floor);
  }
  return ordered;
}
