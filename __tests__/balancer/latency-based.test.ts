import { createLatencyBased } from '../../lib/balancer/latency-based';
import { context, deployment, evenDraws, fakeStats, scripted, seeded, tally } from './helpers';

const candidates = [deployment('a'), deployment('b'), deployment('c')];
const noExploration = { explore: 0 };

describe('latency-based-routing', () => {
  it('picks the fastest deployment', () => {
    const stats = fakeStats({ latency: { a: 900, b: 300, c: 600 } });
    expect(tally(createLatencyBased(stats, evenDraws(100), noExploration), candidates, 100)).toEqual({ b: 100 });
  });

  it('compares time to first byte for streams and total time for plain calls', () => {
    const stats = fakeStats({ latency: { a: 2000, b: 4000, c: 6000 }, firstByte: { a: 900, b: 600, c: 300 } });
    const balancer = createLatencyBased(stats, evenDraws(10), noExploration);
    expect(tally(balancer, candidates, 10, context('group', false))).toEqual({ a: 10 });
    expect(tally(balancer, candidates, 10, context('group', true))).toEqual({ c: 10 });
  });

  describe('deployments without a sample', () => {
    it('tries an idle unmeasured deployment first, before any measured one and without an exploration draw', () => {
      const stats = fakeStats({ latency: { a: 100, b: 200 } });
      expect(createLatencyBased(stats, scripted(0.99)).pick(candidates, context())?.id).toBe('c');
    });

    it('spreads over the unmeasured deployments evenly, ignoring weight', () => {
      const stats = fakeStats({ latency: { a: 100 } });
      const weighted = [deployment('a'), deployment('b', { weight: 1 }), deployment('c', { weight: 9 })];
      expect(tally(createLatencyBased(stats, evenDraws(100)), weighted, 100)).toEqual({ b: 50, c: 50 });
    });

    it('sends one probe at a time: while its first request is in flight, traffic goes by latency', () => {
      const stats = fakeStats({ latency: { a: 100, b: 200 }, inFlight: { c: 1 } });
      expect(tally(createLatencyBased(stats, evenDraws(100), noExploration), candidates, 100)).toEqual({ a: 100 });
    });

    it('shares by weight when nothing is measured and every deployment has a probe out', () => {
      const stats = fakeStats({ inFlight: { a: 1, b: 1, c: 1 } });
      const weighted = [deployment('a', { weight: 2 }), deployment('b', { weight: 1 }), deployment('c', { weight: 1 })];
      expect(tally(createLatencyBased(stats, evenDraws(1000)), weighted, 1000)).toEqual({ a: 500, b: 250, c: 250 });
    });

    it('counts a NaN or negative sample as none', () => {
      const stats = fakeStats({ latency: { a: 100, b: NaN, c: -5 } });
      expect(tally(createLatencyBased(stats, evenDraws(100)), candidates, 100)).toEqual({ b: 50, c: 50 });
    });
  });

  describe('tolerance band', () => {
    const four = [...candidates, deployment('d')];

    it('treats deployments within 10% of the fastest as equally fast by default', () => {
      const stats = fakeStats({ latency: { a: 100, b: 105, c: 110, d: 111 } });
      expect(tally(createLatencyBased(stats, evenDraws(999), noExploration), four, 999)).toEqual({ a: 333, b: 333, c: 333 });
    });

    it('shares the band in proportion to weight', () => {
      const stats = fakeStats({ latency: { a: 100, b: 108, c: 500 } });
      const weighted = [deployment('a', { weight: 1 }), deployment('b', { weight: 3 }), deployment('c', { weight: 100 })];
      expect(tally(createLatencyBased(stats, evenDraws(1000), noExploration), weighted, 1000)).toEqual({ a: 250, b: 750 });
    });

    it('takes its width from the options: 0 keeps only the fastest (ties shared), 0.5 reaches 50% slower', () => {
      const stats = fakeStats({ latency: { a: 100, b: 100, c: 101, d: 150 } });
      expect(tally(createLatencyBased(stats, evenDraws(100), { explore: 0, tolerance: 0 }), four, 100)).toEqual({ a: 50, b: 50 });
      expect(tally(createLatencyBased(stats, evenDraws(100), { explore: 0, tolerance: 0.5 }), four, 100)).toEqual({ a: 25, b: 25, c: 25, d: 25 });
    });

    it('spends no exploration draw when every candidate is within the band', () => {
      const stats = fakeStats({ latency: { a: 100, b: 101, c: 102 } });
      // One scripted number: the band draw. A second draw would throw.
      expect(createLatencyBased(stats, scripted(0.5)).pick(candidates, context())?.id).toBe('b');
    });
  });

  describe('exploration', () => {
    it('sends 5% of picks by default to the others, evenly, so a deployment that recovers gets measured', () => {
      const stats = fakeStats({ latency: { a: 100, b: 300, c: 5000 } });
      const picks = 40_000;
      const counts = tally(createLatencyBased(stats, seeded(1)), candidates, picks);
      // Binomial standard deviation of the share: sqrt(0.05 * 0.95 / 40000) = 0.11%; 0.5% is over four of them.
      expect(((counts['b'] ?? 0) + (counts['c'] ?? 0)) / picks).toBeCloseTo(0.05, 2);
      expect(Math.abs((counts['b'] ?? 0) - (counts['c'] ?? 0)) / picks).toBeLessThan(0.005);
    });

    it('takes its share from the options', () => {
      const stats = fakeStats({ latency: { a: 100, b: 300, c: 5000 } });
      const picks = 40_000;
      const counts = tally(createLatencyBased(stats, seeded(2), { explore: 0.2 }), candidates, picks);
      expect(1 - (counts['a'] ?? 0) / picks).toBeCloseTo(0.2, 2);
    });

    it('explores outside the band only, uniformly', () => {
      const stats = fakeStats({ latency: { a: 100, b: 105, c: 300 } });
      // First draw below `explore`: explore; the second chooses among the candidates outside the band, c only.
      expect(createLatencyBased(stats, scripted(0.01, 0)).pick(candidates, context())?.id).toBe('c');
      // First draw at or above `explore`: the band, chosen by the second draw.
      expect(createLatencyBased(stats, scripted(0.05, 0.99)).pick(candidates, context())?.id).toBe('b');
    });

    it('lets a recovered deployment win its traffic back once exploration has measured it', () => {
      const stats = fakeStats({ latency: { a: 100, b: 2000 } });
      const two = candidates.slice(0, 2);
      const balancer = createLatencyBased(stats, seeded(3));
      expect(tally(balancer, two, 1000)['a']).toBeGreaterThan(900);
      stats.data.latency['b'] = 50;
      expect(tally(balancer, two, 1000)['b']).toBeGreaterThan(900);
    });
  });

  it('refuses options out of range', () => {
    const stats = fakeStats();
    expect(() => createLatencyBased(stats, Math.random, { explore: 1.5 })).toThrow(RangeError);
    expect(() => createLatencyBased(stats, Math.random, { explore: NaN })).toThrow(RangeError);
    expect(() => createLatencyBased(stats, Math.random, { tolerance: -0.1 })).toThrow(RangeError);
    expect(() => createLatencyBased(stats, Math.random, { tolerance: Infinity })).toThrow(RangeError);
  });

  it('returns the only candidate, or none', () => {
    const balancer = createLatencyBased(fakeStats());
    expect(balancer.pick([deployment('a')], context())?.id).toBe('a');
    expect(balancer.pick([], context())).toBeUndefined();
  });
});
