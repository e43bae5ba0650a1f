import { createLeastBusy } from '../../lib/balancer/least-busy';
import { context, deployment, evenDraws, fakeStats, tally } from './helpers';

describe('least-busy', () => {
  it('picks the deployment with the fewest requests in flight, and follows the counts as they change', () => {
    const stats = fakeStats({ inFlight: { a: 3, b: 1, c: 2 } });
    const candidates = [deployment('a'), deployment('b'), deployment('c')];
    const balancer = createLeastBusy(stats, evenDraws(100));
    expect(tally(balancer, candidates, 100)).toEqual({ b: 100 });
    stats.data.inFlight = { a: 0, b: 4, c: 2 };
    expect(tally(balancer, candidates, 100)).toEqual({ a: 100 });
  });

  it('breaks ties at random rather than always taking the first, evenly for equal weights', () => {
    const balancer = createLeastBusy(fakeStats(), evenDraws(999));
    expect(tally(balancer, [deployment('a'), deployment('b'), deployment('c')], 999)).toEqual({ a: 333, b: 333, c: 333 });
  });

  it('breaks ties in proportion to weight, among the least busy only', () => {
    const stats = fakeStats({ inFlight: { c: 1 } });
    const candidates = [deployment('a', { weight: 1 }), deployment('b', { weight: 3 }), deployment('c', { weight: 100 })];
    expect(tally(createLeastBusy(stats, evenDraws(1000)), candidates, 1000)).toEqual({ a: 250, b: 750 });
  });

  it('shares evenly among tied zero weights, and never gives a zero-weight deployment a tie it shares with weight', () => {
    const zeros = [deployment('a', { weight: 0 }), deployment('b', { weight: 0 })];
    expect(tally(createLeastBusy(fakeStats(), evenDraws(1000)), zeros, 1000)).toEqual({ a: 500, b: 500 });
    const mixed = [deployment('a', { weight: 0 }), deployment('b', { weight: 2 })];
    expect(tally(createLeastBusy(fakeStats(), evenDraws(1000)), mixed, 1000)).toEqual({ b: 1000 });
  });

  it('reads a negative or NaN count as idle rather than making the deployment unpickable', () => {
    const stats = fakeStats({ inFlight: { a: NaN, b: -2, c: 1 } });
    expect(tally(createLeastBusy(stats, evenDraws(100)), [deployment('a'), deployment('b'), deployment('c')], 100)).toEqual({ a: 50, b: 50 });
  });

  it('returns the only candidate, or none', () => {
    const balancer = createLeastBusy(fakeStats());
    const only = deployment('a');
    expect(balancer.pick([only], context())).toBe(only);
    expect(balancer.pick([], context())).toBeUndefined();
  });
});
