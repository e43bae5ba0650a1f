import { createSimpleShuffle } from '../../lib/balancer/simple-shuffle';
import type { Deployment } from '../../lib/types';

const deployment = (id: string, weight: number): Deployment => ({
  id,
  modelName: 'group',
  modelId: 'm',
  region: 'us-east-1',
  endpoint: 'https://example.com',
  weight,
});
const context = { operation: 'converse' as const, modelName: 'group', principal: { keyId: 'k', keyName: 'k' }, streaming: false };

/** Picks with random numbers spread evenly over [0, 1), so the shares are exact. */
function shares(candidates: Deployment[], draws = 1000): Record<string, number> {
  let draw = 0;
  const balancer = createSimpleShuffle(() => (draw++ + 0.5) / draws);
  const counts: Record<string, number> = {};
  for (let index = 0; index < draws; index++) {
    const picked = balancer.pick(candidates, context)?.id ?? 'none';
    counts[picked] = (counts[picked] ?? 0) + 1;
  }
  return counts;
}

describe('simple-shuffle', () => {
  it('shares in proportion to weight', () => {
    expect(shares([deployment('a', 3), deployment('b', 1)])).toEqual({ a: 750, b: 250 });
    expect(shares([deployment('a', 1), deployment('b', 1), deployment('c', 2)])).toEqual({ a: 250, b: 250, c: 500 });
  });

  it('never picks a zero-weight deployment while another has weight, and shares evenly when all are zero', () => {
    expect(shares([deployment('a', 0), deployment('b', 5)])).toEqual({ b: 1000 });
    expect(shares([deployment('a', 0), deployment('b', 0)])).toEqual({ a: 500, b: 500 });
  });

  it('returns the only candidate, or none', () => {
    const balancer = createSimpleShuffle();
    expect(balancer.pick([deployment('a', 1)], context)?.id).toBe('a');
    expect(balancer.pick([], context)).toBeUndefined();
  });
});
