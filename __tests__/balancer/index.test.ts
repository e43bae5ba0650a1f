import { createBalancer } from '../../lib/balancer';
import type { Balancer } from '../../lib/types';
import { context, deployment, evenDraws, fakeStats, tally } from './helpers';

const [a, b] = [deployment('a', { weight: 3, rpm: 100 }), deployment('b', { weight: 1, rpm: 100 })];
/** Stats on which every strategy's choice differs from simple-shuffle's 3:1 split: b is idle, fast and unused. */
const stats = fakeStats({
  inFlight: { a: 5 },
  latency: { a: 900, b: 100 },
  usage: { a: { requests: 90, tokens: 0 } },
});
const steady = (): number => 0.5;

/** The balancer for `name`, failing the test if the factory has none. */
function build(name: string | undefined, random?: () => number): Balancer {
  const balancer = createBalancer(name, stats, random);
  if (balancer === undefined) throw new Error(`no balancer for ${name}`);
  return balancer;
}

describe('createBalancer', () => {
  it('builds simple-shuffle by default and by name', () => {
    expect(tally(build(undefined, evenDraws(100)), [a, b], 100)).toEqual({ a: 75, b: 25 });
    expect(tally(build('simple-shuffle', evenDraws(100)), [a, b], 100)).toEqual({ a: 75, b: 25 });
  });

  it('builds round-robin', () => {
    expect(tally(build('round-robin'), [a, b], 100)).toEqual({ a: 50, b: 50 });
  });

  it.each(['least-busy', 'latency-based-routing', 'usage-based-routing', 'usage-based-routing-v2'])('builds %s on the stats it is given', (name) => {
    expect(build(name, steady).pick([a, b], context())).toBe(b);
  });

  it('passes the random source on', () => {
    expect(createBalancer('least-busy', fakeStats(), () => 0)?.pick([a, b], context())).toBe(a);
    expect(createBalancer('least-busy', fakeStats(), () => 0.9)?.pick([a, b], context())).toBe(b);
  });

  it('reports cost-based-routing and unknown names as unsupported with undefined', () => {
    for (const name of ['cost-based-routing', 'lowest-cost', '', 'Simple-Shuffle', 'constructor', '__proto__', 'toString']) {
      expect(createBalancer(name, stats)).toBeUndefined();
    }
  });

  it('builds a new balancer each time, so round-robin state is not shared between routers', () => {
    const first = build('round-robin');
    const second = build('round-robin');
    expect([first.pick([a, b], context())?.id, second.pick([a, b], context())?.id]).toEqual(['a', 'a']);
  });
});
