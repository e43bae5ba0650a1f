import { createUsageBased } from '../../lib/balancer/usage-based';
import type { Deployment } from '../../lib/types';
import { context, deployment, evenDraws, fakeStats, tally } from './helpers';

describe('usage-based-routing', () => {
  it('with rpm only: the most requests left, as a fraction of the limit', () => {
    const stats = fakeStats({ usage: { a: { requests: 50, tokens: 0 }, b: { requests: 2, tokens: 99_999 } } });
    // a: 1 - 50/100 = 0.5; b: 1 - 2/10 = 0.8, though it has fewer requests left in absolute terms. Tokens do not count.
    const candidates = [deployment('a', { rpm: 100 }), deployment('b', { rpm: 10 })];
    expect(tally(createUsageBased(stats, evenDraws(10)), candidates, 10)).toEqual({ b: 10 });
  });

  it('with tpm only: the most tokens left, as a fraction of the limit', () => {
    const stats = fakeStats({ usage: { a: { requests: 0, tokens: 900 }, b: { requests: 999, tokens: 50_000 } } });
    const candidates = [deployment('a', { tpm: 1000 }), deployment('b', { tpm: 100_000 })];
    expect(tally(createUsageBased(stats, evenDraws(10)), candidates, 10)).toEqual({ b: 10 });
  });

  it('with both: the tighter of the two limits counts', () => {
    const stats = fakeStats({ usage: { a: { requests: 10, tokens: 800 }, b: { requests: 50, tokens: 100 } } });
    // a: min(0.9, 0.2) = 0.2; b: min(0.5, 0.9) = 0.5.
    const candidates = [deployment('a', { rpm: 100, tpm: 1000 }), deployment('b', { rpm: 100, tpm: 1000 })];
    expect(tally(createUsageBased(stats, evenDraws(10)), candidates, 10)).toEqual({ b: 10 });
  });

  it('with none: every deployment has full headroom, so ties share by weight', () => {
    const stats = fakeStats({ usage: { a: { requests: 500, tokens: 10_000 } } });
    const candidates = [deployment('a', { weight: 1 }), deployment('b', { weight: 3 })];
    expect(tally(createUsageBased(stats, evenDraws(1000)), candidates, 1000)).toEqual({ a: 250, b: 750 });
  });

  it('prefers a deployment without limits to a limited one that has served anything; untouched, they tie', () => {
    const unlimited = deployment('a', { weight: 1 });
    const limited = deployment('b', { rpm: 100, weight: 1 });
    const stats = fakeStats();
    const balancer = createUsageBased(stats, evenDraws(100));
    expect(tally(balancer, [unlimited, limited], 100)).toEqual({ a: 50, b: 50 });
    stats.data.usage['b'] = { requests: 1, tokens: 0 };
    expect(tally(balancer, [unlimited, limited], 100)).toEqual({ a: 100 });
  });

  it('fills deployments in proportion to their limits as usage grows', () => {
    const stats = fakeStats();
    const candidates = [deployment('a', { rpm: 100 }), deployment('b', { rpm: 300 })];
    const balancer = createUsageBased(stats, evenDraws(7));
    for (let index = 0; index < 200; index++) {
      const picked = balancer.pick(candidates, context()) as Deployment;
      const usage = stats.data.usage[picked.id] ?? { requests: 0, tokens: 0 };
      stats.data.usage[picked.id] = { requests: usage.requests + 1, tokens: usage.tokens };
    }
    expect(stats.data.usage['a']?.requests).toBeGreaterThanOrEqual(49);
    expect(stats.data.usage['a']?.requests).toBeLessThanOrEqual(51);
  });

  it('ranks a deployment over its limit, or with a zero limit, below the others', () => {
    const stats = fakeStats({ usage: { a: { requests: 120, tokens: 0 }, b: { requests: 99, tokens: 0 } } });
    const candidates = [deployment('a', { rpm: 100 }), deployment('b', { rpm: 100 }), deployment('c', { tpm: 0 })];
    expect(tally(createUsageBased(stats, evenDraws(10)), candidates, 10)).toEqual({ b: 10 });
    expect(tally(createUsageBased(stats, evenDraws(10)), [deployment('c', { tpm: 0 }), deployment('a', { rpm: 100 })], 10)).toEqual({ a: 10 });
  });

  it('returns the only candidate, or none', () => {
    const balancer = createUsageBased(fakeStats());
    expect(balancer.pick([deployment('a')], context())?.id).toBe('a');
    expect(balancer.pick([], context())).toBeUndefined();
  });
});
