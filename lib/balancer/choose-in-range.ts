/** The random draw the built-in balancers share once they have scored their candidates. */
import type { Deployment } from '../types';

/**
 * Chooses at random among the candidates whose score (`scores[i]` for `candidates[i]`) lies in `[low, high]`:
 * in proportion to `weight` when `byWeight` is set (simple-shuffle's rule: negative weights count as zero, and
 * if all the matching weights are zero they share evenly), uniformly otherwise. Undefined when none matches.
 * One call to `random`, two passes, no allocation.
 */
export function chooseInRange(
  candidates: readonly Deployment[],
  scores: Float64Array,
  low: number,
  high: number,
  byWeight: boolean,
  random: () => number,
): Deployment | undefined {
  let count = 0;
  let total = 0;
  let index = 0;
  for (const candidate of candidates) {
    // `?? NaN` only satisfies the compiler: the buffer is always at least as long as the candidates.
    const score = scores[index++] ?? NaN;
    if (score >= low && score <= high) {
      count++;
      if (byWeight) total += shareOf(candidate);
    }
  }
  if (count === 0) return undefined;
  const weighted = total > 0;
  let point = random() * (weighted ? total : count);
  let last: Deployment | undefined;
  index = 0;
  for (const candidate of candidates) {
    const score = scores[index++] ?? NaN;
    if (score >= low && score <= high) {
      last = candidate;
      point -= weighted ? shareOf(candidate) : 1;
      if (point < 0) return candidate;
    }
  }
  // Only reached when rounding leaves `point` a hair above zero after the last match.
  return last;
}

/** A deployment's share in a weighted draw. `> 0` also turns NaN into 0. */
function shareOf(deployment: Deployment): number {
  return deployment.weight > 0 ? deployment.weight : 0;
}
