/** LiteLLM's `usage-based-routing` (and `usage-based-routing-v2`): the deployment furthest from its limits. */
import type { Balancer, Deployment } from '../types';
import { chooseInRange } from './choose-in-range';
import { createScoreBuffer } from './score-buffer';
import type { DeploymentStats } from './stats';

/**
 * Creates a usage-based balancer: the candidate with the most headroom left this minute, where headroom is the
 * fraction of its limits still unused, the smaller of `1 - requests / rpm` and `1 - tokens / tpm`
 * (`stats.usageThisMinute`). Comparing fractions rather than LiteLLM's absolute token counts fills deployments
 * in proportion to their limits: one with rpm 1000 takes ten requests for every one of a neighbour with rpm 100.
 *
 * A limit that is not set cannot run out, so a deployment without `rpm` and `tpm` always has full headroom (1):
 * it is preferred over any limited deployment that has served anything this minute, and limited deployments
 * become the overflow for when it is cooling down. That is the strategy's purpose (stay clear of the limits you
 * declared); to make a deployment share traffic under this strategy, declare its limits. A limit of 0 allows
 * nothing and ranks last.
 *
 * Ties (at the start of each minute everyone has full headroom) are drawn at random in proportion to `weight`.
 */
export function createUsageBased(stats: DeploymentStats, random: () => number = Math.random): Balancer {
  const buffer = createScoreBuffer();
  return {
    pick(candidates: readonly Deployment[]): Deployment | undefined {
      if (candidates.length <= 1) return candidates[0];
      const scores = buffer(candidates.length);
      let most = -Infinity;
      let index = 0;
      for (const candidate of candidates) {
        const score = headroom(candidate, stats);
        scores[index++] = score;
        if (score > most) most = score;
      }
      return chooseInRange(candidates, scores, most, most, true, random);
    },
  };
}

/** The fraction of the deployment's tightest limit still unused this minute: 1 without limits, negative when over. */
function headroom(deployment: Deployment, stats: DeploymentStats): number {
  const { rpm, tpm } = deployment;
  if (rpm === undefined && tpm === undefined) return 1;
  const usage = stats.usageThisMinute(deployment.id);
  return Math.min(remaining(usage.requests, rpm), remaining(usage.tokens, tpm));
}

/** `1 - used / limit`: 1 for no limit, -Infinity for a zero limit; negative or NaN usage counts as none. */
function remaining(used: number, limit: number | undefined): number {
  if (limit === undefined) return 1;
  if (!(limit > 0)) return -Infinity;
  return 1 - (used > 0 ? used : 0) / limit;
}
