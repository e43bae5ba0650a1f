/** LiteLLM's default `simple-shuffle`: a random deployment, weighted by `weight` (else `rpm`, else `tpm`). */
import type { Balancer, Deployment } from '../types';

export function createSimpleShuffle(random: () => number = Math.random): Balancer {
  return {
    pick(candidates: readonly Deployment[]): Deployment | undefined {
      if (candidates.length <= 1) return candidates[0];
      let total = 0;
      for (const candidate of candidates) total += Math.max(0, candidate.weight);
      // All weights zero: no preference was expressed, so share evenly.
      if (total === 0) return candidates[Math.floor(random() * candidates.length)];
      let point = random() * total;
      for (const candidate of candidates) {
        point -= Math.max(0, candidate.weight);
        if (point < 0) return candidate;
      }
      return candidates[candidates.length - 1];
    },
  };
}
