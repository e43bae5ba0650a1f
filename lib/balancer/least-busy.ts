/** LiteLLM's `least-busy`: the deployment with the fewest requests in flight. */
import type { Balancer, Deployment } from '../types';
import { chooseInRange } from './choose-in-range';
import { createScoreBuffer } from './score-buffer';
import type { DeploymentStats } from './stats';

/**
 * Creates a least-busy balancer: the candidate with the fewest requests in flight (`stats.inFlight`).
 *
 * Ties are drawn at random in proportion to `weight`. Random, because at low load every deployment is at zero and
 * always taking the first would send it all the traffic. Weighted, because a weight is the operator's statement of
 * relative capacity (it defaults to `rpm`, else `tpm`): when nothing separates the deployments by load, the choice
 * falls back to exactly what simple-shuffle would do, and a deployment given three times the weight takes three
 * times the idle-time traffic. The in-flight counts themselves are compared unweighted, as LiteLLM does.
 */
export function createLeastBusy(stats: DeploymentStats, random: () => number = Math.random): Balancer {
  const buffer = createScoreBuffer();
  return {
    pick(candidates: readonly Deployment[]): Deployment | undefined {
      if (candidates.length <= 1) return candidates[0];
      const scores = buffer(candidates.length);
      let fewest = Infinity;
      let index = 0;
      for (const candidate of candidates) {
        const inFlight = stats.inFlight(candidate.id);
        // A miscounted (negative or NaN) figure must not make a deployment unpickable; read it as idle.
        const score = inFlight > 0 ? inFlight : 0;
        scores[index++] = score;
        if (score < fewest) fewest = score;
      }
      return chooseInRange(candidates, scores, fewest, fewest, true, random);
    },
  };
}
