/**
 * A small merging t-digest (Dunning & Ertl, "Computing extremely accurate quantiles using
 * t-digests"): a sorted list of centroids (mean, weight) whose size is bounded by the
 * compression δ, with the k1 scale function k(q) = δ/2π · asin(2q − 1), so centroids are
 * small near the tails and larger near the median. Digests merge (concatenate the centroids,
 * compress again), which is what lets hourly digests answer daily, weekly and monthly
 * percentiles. A digest of at most a few dozen values keeps every value as its own centroid
 * and answers exactly what PostgreSQL's `percentile_cont` answers.
 *
 * Accuracy (tdigest.test.ts, 100,000 random values in 2,160 hourly digests merged): the
 * estimate's rank error stays below 1 % at p50 and p90 with δ = 200 (measured ≈ 0.1–0.3 %).
 */

export const COMPRESSION = 200;

export interface Digest {
  /** Values summarized. */
  n: number;
  min: number;
  max: number;
  /** Centroids, sorted by mean: [mean0, weight0, mean1, weight1, …]. */
  c: number[];
}

const k1 = (q: number, compression: number) => (compression / (2 * Math.PI)) * Math.asin(Math.max(-1, Math.min(1, 2 * q - 1)));

/** Compresses centroids sorted by mean ([mean, weight] pairs) into a digest. */
function compress(centroids: [number, number][], min: number, max: number, compression: number): Digest {
  const total = centroids.reduce((s, [, w]) => s + w, 0);
  const out: number[] = [];
  if (!centroids.length) return { n: 0, min: NaN, max: NaN, c: out };
  let [mean, weight] = centroids[0]!;
  let before = 0;
  let kBefore = k1(0, compression);
  for (let i = 1; i < centroids.length; i++) {
    const [m, w] = centroids[i]!;
    if (k1((before + weight + w) / total, compression) - kBefore <= 1) {
      mean += ((m - mean) * w) / (weight + w);
      weight += w;
    } else {
      out.push(mean, weight);
      before += weight;
      kBefore = k1(before / total, compression);
      mean = m;
      weight = w;
    }
  }
  out.push(mean, weight);
  return { n: total, min, max, c: out };
}

/** The digest of some values. */
export function digestOf(values: readonly number[], compression = COMPRESSION): Digest {
  const sorted = [...values].sort((a, b) => a - b);
  return compress(
    sorted.map((v) => [v, 1]),
    sorted[0] ?? NaN,
    sorted[sorted.length - 1] ?? NaN,
    compression,
  );
}

/** One digest of everything several digests summarize. */
export function mergeDigests(digests: readonly Digest[], compression = COMPRESSION): Digest {
  const centroids: [number, number][] = [];
  let min = Infinity;
  let max = -Infinity;
  for (const d of digests) {
    if (!d.n) continue;
    min = Math.min(min, d.min);
    max = Math.max(max, d.max);
    for (let i = 0; i < d.c.length; i += 2) centroids.push([d.c[i]!, d.c[i + 1]!]);
  }
  centroids.sort((a, b) => a[0] - b[0]);
  return compress(centroids, min, max, compression);
}

/**
 * The q-quantile (0–1), interpolated like `percentile_cont`: value i of n sorted values sits
 * at rank i + ½, a centroid at the middle of the ranks it covers, min and max at the ends,
 * and the answer is the linear interpolation at rank q·(n − 1) + ½. NaN for an empty digest.
 */
export function quantile(d: Digest, q: number): number {
  if (!d.n) return NaN;
  if (d.n === 1) return d.min;
  const ranks: number[] = [];
  const values: number[] = [];
  let before = 0;
  for (let i = 0; i < d.c.length; i += 2) {
    const w = d.c[i + 1]!;
    ranks.push(before + w / 2);
    values.push(d.c[i]!);
    before += w;
  }
  if (ranks[0]! > 0.5) {
    ranks.unshift(0.5);
    values.unshift(d.min);
  }
  if (ranks[ranks.length - 1]! < d.n - 0.5) {
    ranks.push(d.n - 0.5);
    values.push(d.max);
  }
  const target = Math.max(0, Math.min(1, q)) * (d.n - 1) + 0.5;
  const hi = ranks.findIndex((r) => r >= target);
  if (hi <= 0) return values[0]!;
  const lo = hi - 1;
  const span = ranks[hi]! - ranks[lo]!;
  return span > 0 ? values[lo]! + ((values[hi]! - values[lo]!) * (target - ranks[lo]!)) / span : values[hi]!;
}
