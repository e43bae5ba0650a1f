/** LiteLLM's `round-robin`: each group's deployments in turn. */
import type { Balancer, Deployment, PickContext } from '../types';

/**
 * Creates a round-robin balancer: each pick goes to the candidate of the group (`context.modelName`) that was picked
 * longest ago, never-picked ones first, in list order. On an unchanging list that is plain rotation in list order.
 *
 * Why not a counter modulo the list length: the router drops deployments that are cooling down or at their limits,
 * and a counter over a list that shrinks or grows skips one deployment and repeats another. Remembering when each
 * deployment was last picked keeps the cycle fair whatever the list does: a deployment that stays in the list waits
 * at most `candidates.length - 1` picks, and one that comes back takes its turn at once, but only one turn.
 *
 * State: one number per deployment of each group that had two or more candidates, so it is bounded by the config.
 * Groups do not share state, so one group's traffic never moves another's rotation.
 */
export function createRoundRobin(): Balancer {
  const lastPicked = new Map<string, Map<string, number>>();
  // One clock for all groups: only the order of stamps within a group matters.
  let clock = 0;
  return {
    pick(candidates: readonly Deployment[], context: PickContext): Deployment | undefined {
      if (candidates.length <= 1) return candidates[0];
      let stamps = lastPicked.get(context.modelName);
      if (stamps === undefined) {
        stamps = new Map();
        lastPicked.set(context.modelName, stamps);
      }
      let picked: Deployment | undefined;
      let oldest = Infinity;
      for (const candidate of candidates) {
        const stamp = stamps.get(candidate.id) ?? -1;
        // Strictly older: among equals (the never-picked) the first in the list goes first.
        if (stamp < oldest) {
          oldest = stamp;
          picked = candidate;
        }
      }
      if (picked !== undefined) stamps.set(picked.id, ++clock);
      return picked;
    },
  };
}
