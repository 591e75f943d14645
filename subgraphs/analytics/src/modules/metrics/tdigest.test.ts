import { seededRandom } from '@switchboard/kit/src/testing';
import { COMPRESSION, digestOf, mergeDigests, quantile, type Digest } from './tdigest';

/** PostgreSQL's percentile_cont over sorted values. */
function percentileCont(sorted: number[], q: number): number {
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/** Where `x` ranks among the sorted values (0–1, ties at their middle). */
function rankOf(sorted: number[], x: number): number {
  let below = 0;
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  below = lo;
  hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return (below + lo) / 2 / sorted.length;
}

describe('t-digest', () => {
  it('is exact (percentile_cont) for a few values, merged or not', () => {
    const rand = seededRandom(7);
    for (const n of [1, 2, 3, 10, 40]) {
      const values = Array.from({ length: n }, () => Math.round(rand() * 1000));
      const sorted = [...values].sort((a, b) => a - b);
      const halves = mergeDigests([digestOf(values.slice(0, n >> 1)), digestOf(values.slice(n >> 1))]);
      for (const q of [0, 0.1, 0.5, 0.9, 1]) {
        expect(quantile(digestOf(values), q)).toBeCloseTo(percentileCont(sorted, q), 9);
        expect(quantile(halves, q)).toBeCloseTo(percentileCont(sorted, q), 9);
      }
    }
    expect(quantile(mergeDigests([]), 0.5)).toBeNaN();
  });

  it.each([
    ['log-normal response times', (r: () => number) => Math.exp(3 + 1.5 * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()))],
    ['uniform', (r: () => number) => r() * 86_400],
    ['bimodal (bot in seconds, people in hours)', (r: () => number) => (r() < 0.7 ? 5 + r() * 30 : 3_600 + r() * 20_000)],
  ])('hourly digests merged into days and then 90 days stay within 1 %% rank error (%s)', (_name, draw) => {
    const rand = seededRandom(42);
    const hours = 90 * 24;
    const values: number[][] = Array.from({ length: hours }, () => []);
    for (let i = 0; i < 100_000; i++) values[Math.floor(rand() * hours)]!.push(draw(rand));
    const hourly = values.map((v) => digestOf(v));
    const days: Digest[] = [];
    for (let d = 0; d < 90; d++) days.push(mergeDigests(hourly.slice(d * 24, d * 24 + 24)));
    const all = mergeDigests(days);
    const sorted = values.flat().sort((a, b) => a - b);
    expect(all.n).toBe(100_000);
    expect(all.c.length / 2).toBeLessThanOrEqual(COMPRESSION);
    for (const q of [0.5, 0.9, 0.99]) {
      const estimate = quantile(all, q);
      expect(Math.abs(rankOf(sorted, estimate) - q)).toBeLessThan(0.01);
    }
    // A single day (about 1,100 values, merged from 24 hours) too.
    const day = values.slice(0, 24).flat().sort((a, b) => a - b);
    for (const q of [0.5, 0.9]) expect(Math.abs(rankOf(day, quantile(days[0]!, q)) - q)).toBeLessThan(0.01);
  });
});
