/** What every built-in strategy promises the router, checked on each through the factory. */
import fc from 'fast-check';
import { createBalancer } from '../../lib/balancer';
import type { DeploymentStats } from '../../lib/balancer/stats';
import type { Deployment } from '../../lib/types';
import { context, deployment, fakeStats, seeded, type StatsData } from './helpers';

const STRATEGIES = ['simple-shuffle', 'round-robin', 'least-busy', 'latency-based-routing', 'usage-based-routing', 'usage-based-routing-v2'];

const untouchable: DeploymentStats = {
  inFlight: () => {
    throw new Error('read inFlight');
  },
  latencyMs: () => {
    throw new Error('read latencyMs');
  },
  usageThisMinute: () => {
    throw new Error('read usageThisMinute');
  },
};
const noRandom = (): number => {
  throw new Error('drew a random number');
};

/** A group of 1 to 60 deployments with unique ids, and arbitrary stats for them, awkward values included. */
const scenario = fc
  .uniqueArray(
    fc.record({
      id: fc.string({ minLength: 1, maxLength: 8 }),
      weight: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1000, noNaN: true })),
      rpm: fc.option(fc.nat(1000), { nil: undefined }),
      tpm: fc.option(fc.nat(100_000), { nil: undefined }),
      inFlight: fc.oneof(fc.nat(5), fc.constant(NaN)),
      latency: fc.option(fc.oneof(fc.double({ min: 0, max: 60_000, noNaN: true }), fc.constant(NaN)), { nil: undefined }),
      firstByte: fc.option(fc.double({ min: 0, max: 5000, noNaN: true }), { nil: undefined }),
      requests: fc.nat(2000),
      tokens: fc.nat(200_000),
    }),
    { minLength: 1, maxLength: 60, selector: (entry) => entry.id },
  )
  .map((entries) => {
    const data: StatsData = { inFlight: {}, latency: {}, firstByte: {}, usage: {} };
    const candidates: Deployment[] = entries.map((entry) => {
      data.inFlight[entry.id] = entry.inFlight;
      if (entry.latency !== undefined) data.latency[entry.id] = entry.latency;
      if (entry.firstByte !== undefined) data.firstByte[entry.id] = entry.firstByte;
      data.usage[entry.id] = { requests: entry.requests, tokens: entry.tokens };
      return deployment(entry.id, { weight: entry.weight, rpm: entry.rpm, tpm: entry.tpm });
    });
    return { candidates, data };
  });

describe.each(STRATEGIES)('%s', (strategy) => {
  it('returns undefined for no candidates', () => {
    expect(createBalancer(strategy, untouchable, noRandom)?.pick([], context())).toBeUndefined();
  });

  it('returns the only candidate without reading stats or drawing a random number', () => {
    const only = deployment('a');
    expect(createBalancer(strategy, untouchable, noRandom)?.pick([only], context())).toBe(only);
  });

  it('always returns one of the candidates, whatever the stats and the random numbers', () => {
    fc.assert(
      fc.property(scenario, fc.integer(), fc.boolean(), ({ candidates, data }, seed, streaming) => {
        const stats = fakeStats(data);
        // A random source at its extremes as well as in between: 0, and the largest double below 1.
        for (const random of [seeded(seed), () => 0, () => 1 - 2 ** -53]) {
          const balancer = createBalancer(strategy, stats, random);
          for (let pick = 0; pick < 3; pick++) {
            expect(candidates).toContain(balancer?.pick(candidates, context('group', streaming)));
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
