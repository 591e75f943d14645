import { estimateCostUsd, routeOrder, type Candidate } from './routing';

const m = (id: string, inp: number, out: number, quality: number, latencyMs?: number): Candidate => ({ id, name: id, inputPricePer1K: inp, outputPricePer1K: out, quality, latencyMs });
const cheap = m('cheap', 0.0005, 0.0015, 3, 900);
const mid = m('mid', 0.003, 0.006, 6, 200);
const best = m('best', 0.01, 0.03, 9);
const ids = (list: Candidate[]) => list.map((c) => c.id);

describe('routing choice', () => {
  it('orders by the strategy, with or without a chain', () => {
    expect(ids(routeOrder([best, mid, cheap], { strategy: 'CHEAPEST', chain: [] }))).toEqual(['cheap', 'mid', 'best']);
    expect(ids(routeOrder([cheap, mid, best], { strategy: 'BEST_QUALITY', chain: [] }))).toEqual(['best', 'mid', 'cheap']);
    expect(ids(routeOrder([cheap, mid, best], { strategy: 'FASTEST', chain: [] }))).toEqual(['mid', 'cheap', 'best']);
    expect(ids(routeOrder([cheap, mid, best], { strategy: 'ORDERED', chain: ['mid', 'best', 'cheap'] }))).toEqual(['mid', 'best', 'cheap']);
    expect(ids(routeOrder([cheap, mid, best], { strategy: 'CHEAPEST', chain: ['best', 'mid'] }))).toEqual(['mid', 'best']);
  });

  it('never falls back below the first choice’s price for URGENT work', () => {
    expect(ids(routeOrder([cheap, mid, best], { strategy: 'ORDERED', chain: ['mid', 'cheap', 'best'] }, 'URGENT'))).toEqual(['mid', 'best']);
    expect(ids(routeOrder([cheap, mid, best], { strategy: 'ORDERED', chain: ['mid', 'cheap', 'best'] }, 'HIGH'))).toEqual(['mid', 'cheap', 'best']);
  });

  it('estimates cost from tokens and prices per 1K', () => {
    expect(estimateCostUsd(best, 1000, 500)).toBeCloseTo(0.01 + 0.015, 12);
  });
});
