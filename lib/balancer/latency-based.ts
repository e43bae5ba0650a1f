/** LiteLLM's `latency-based-routing`: the deployment that answered fastest recently. */
import type { Balancer, Deployment, PickContext } from '../types';
import { chooseInRange } from './choose-in-range';
import { createScoreBuffer } from './score-buffer';
import type { DeploymentStats } from './stats';

/** Tuning for {@link createLatencyBased}; the defaults suit Bedrock's spread of latencies. */
export interface LatencyBasedOptions {
  /**
   * Share of picks, from 0 to 1, sent to a random candidate outside the tolerance band, so that a deployment that
   * was slow once is measured again and can win back its traffic after it recovers. Default 0.05.
   */
  readonly explore?: number;
  /**
   * How much slower than the fastest a deployment may be and still count as equally fast, as a fraction of the
   * fastest latency (LiteLLM's `lowest_latency_buffer`, which defaults to 0 there). Default 0.1: within 10%.
   */
  readonly tolerance?: number;
}

/** Scores for candidates without a latency sample, below and above every measured latency (which are >= 0). */
const UNMEASURED_IDLE = -Infinity;
const UNMEASURED_BUSY = Infinity;

/**
 * Creates a latency-based balancer. Latency is `stats.latencyMs(id, context.streaming)`: time to first byte for
 * streams, time to the whole answer for plain calls. A pick goes, in order of precedence:
 *
 * 1. to a deployment without a sample and with nothing in flight, chosen uniformly: new or recovered deployments get
 *    measured at once. Only while idle: a plain call can take seconds, and until its first answer arrives a new
 *    deployment would otherwise take every request (one probe at a time is enough to measure it);
 * 2. with probability `explore`, to a uniformly chosen candidate outside the tolerance band (when there is one);
 * 3. otherwise to a candidate within the band (latency at most `fastest * (1 + tolerance)`), drawn in proportion
 *    to `weight`. Treating near-equals as equal spreads load instead of piling it on a deployment that is faster by
 *    noise, which would then slow down and hand the pile to the next one.
 *
 * The band is relative because latencies differ by orders of magnitude between streams (time to first byte, a few
 * hundred ms) and plain calls (seconds to minutes); a fixed number of milliseconds would be all or nothing.
 *
 * @throws RangeError when `explore` is not within [0, 1] or `tolerance` is negative or not finite.
 */
export function createLatencyBased(
  stats: DeploymentStats,
  random: () => number = Math.random,
  options: LatencyBasedOptions = {},
): Balancer {
  const { explore = 0.05, tolerance = 0.1 } = options;
  if (!(explore >= 0 && explore <= 1)) throw new RangeError(`explore must be between 0 and 1, got ${explore}`);
  // Finite, or a fastest latency of 0 would make the band's limit 0 * Infinity = NaN.
  if (!(tolerance >= 0 && tolerance < Infinity)) throw new RangeError(`tolerance must be a finite number >= 0, got ${tolerance}`);
  const buffer = createScoreBuffer();
  return {
    pick(candidates: readonly Deployment[], context: PickContext): Deployment | undefined {
      if (candidates.length <= 1) return candidates[0];
      const scores = buffer(candidates.length);
      let fastest = Infinity;
      let index = 0;
      for (const candidate of candidates) {
        const score = scoreOf(candidate.id, stats, context.streaming);
        scores[index++] = score;
        if (score < fastest) fastest = score;
      }
      if (fastest === UNMEASURED_IDLE) return chooseInRange(candidates, scores, fastest, fastest, false, random);
      // When nothing is measured yet and every deployment has a probe out, fastest and limit are both Infinity and
      // the band holds every candidate.
      const limit = fastest * (1 + tolerance);
      const slowerStart = lowestAbove(scores, candidates.length, limit);
      if (slowerStart !== undefined && random() < explore) {
        return chooseInRange(candidates, scores, slowerStart, UNMEASURED_BUSY, false, random);
      }
      return chooseInRange(candidates, scores, fastest, limit, true, random);
    },
  };
}

/** The deployment's latency, or where it ranks without one. */
function scoreOf(id: string, stats: DeploymentStats, streaming: boolean): number {
  const latency = stats.latencyMs(id, streaming);
  // A NaN or negative sample is as good as none.
  if (latency !== undefined && latency >= 0) return latency;
  return stats.inFlight(id) > 0 ? UNMEASURED_BUSY : UNMEASURED_IDLE;
}

/** The lowest of the first `length` scores above `limit`, where the candidates outside the band start; undefined if none. */
function lowestAbove(scores: Float64Array, length: number, limit: number): number | undefined {
  let lowest: number | undefined;
  for (let index = 0; index < length; index++) {
    const score = scores[index] ?? NaN;
    if (score > limit && (lowest === undefined || score < lowest)) lowest = score;
  }
  return lowest;
}
