/** Shared scaffolding for the balancer tests: deployments, contexts, a fake DeploymentStats, deterministic randomness. */
import type { DeploymentStats, MinuteUsage } from '../../lib/balancer/stats';
import type { Balancer, Deployment, PickContext } from '../../lib/types';

export function deployment(id: string, extra: Partial<Omit<Deployment, 'id'>> = {}): Deployment {
  return { id, modelName: 'group', modelId: 'm', region: 'us-east-1', endpoint: 'https://example.com', weight: 1, ...extra };
}

export function context(modelName = 'group', streaming = false): PickContext {
  return { operation: streaming ? 'converse-stream' : 'converse', modelName, principal: { keyId: 'k', keyName: 'k' }, streaming };
}

/** What the fake reports; tests change it between picks. Absent ids are idle, unmeasured and unused. */
export interface StatsData {
  inFlight: Record<string, number>;
  /** Plain calls: time to the whole answer. */
  latency: Record<string, number>;
  /** Streams: time to first byte. */
  firstByte: Record<string, number>;
  usage: Record<string, MinuteUsage>;
}

export function fakeStats(data: Partial<StatsData> = {}): DeploymentStats & { data: StatsData } {
  const full: StatsData = { inFlight: {}, latency: {}, firstByte: {}, usage: {}, ...data };
  return {
    data: full,
    inFlight: (id) => full.inFlight[id] ?? 0,
    latencyMs: (id, streaming) => (streaming ? full.firstByte : full.latency)[id],
    usageThisMinute: (id) => full.usage[id] ?? { requests: 0, tokens: 0 },
  };
}

/** Numbers spread evenly over [0, 1) in `count` steps, so a strategy that draws once per pick gets exact shares. */
export function evenDraws(count: number): () => number {
  let draw = 0;
  return () => ((draw++ % count) + 0.5) / count;
}

/** A seeded pseudo-random generator (mulberry32): statistically random, identical on every run. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Returns `values` in turn, then fails the test: for paths that must draw an exact number of times. */
export function scripted(...values: number[]): () => number {
  return () => {
    const value = values.shift();
    if (value === undefined) throw new Error('drew more random numbers than scripted');
    return value;
  };
}

/** How many of `picks` picks went to each deployment id. */
export function tally(balancer: Balancer, candidates: readonly Deployment[], picks: number, pickContext = context()): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let index = 0; index < picks; index++) {
    const id = balancer.pick(candidates, pickContext)?.id ?? 'none';
    counts[id] = (counts[id] ?? 0) + 1;
  }
  return counts;
}
