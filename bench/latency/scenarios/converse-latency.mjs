// @ts-check
/**
 * Converse at concurrency 1: each contender answers `requestsPerRound` requests one after the other per round; the
 * round's p50 and p99 of the time from sending to the last byte are its figures. Also the CPU time per request of the
 * load generator, of the contender's process and of the mock in that round.
 */
import { callFor } from '../contenders.mjs';
import { withCpuTime } from '../cpu-time.mjs';
import { ascending, interleave, quantile } from '../interleave.mjs';
import { sequential } from '../load.mjs';

/**
 * @typedef {object} LatencyRound
 * @property {number} p50 ms
 * @property {number} p99 ms
 * @property {number} generatorCpuUs Per request.
 * @property {number} serverCpuUs Per request, the contender's process (0 for the direct path).
 * @property {number} mockCpuUs Per request.
 *
 * @typedef {object} LatencyOptions
 * @property {readonly import('../contenders.mjs').Contender[]} contenders
 * @property {import('../contenders.mjs').Workload} workload
 * @property {number} rounds
 * @property {number} requestsPerRound
 * @property {number} warmupRequests Once per contender, before the rounds.
 * @property {number} primeRequests Before each measured slice, unmeasured (see interleave.mjs).
 * @property {import('../processes.mjs').ServerProcess} mock
 * @property {import('../contenders.mjs').ClientFor} client
 */

/**
 * @param {LatencyOptions} options
 * @returns {Promise<Map<import('../contenders.mjs').Contender, LatencyRound[]>>}
 */
export async function measureConverseLatency({ contenders, workload, rounds, requestsPerRound, warmupRequests, primeRequests, mock, client }) {
  for (const contender of contenders) await sequential(client(contender, 1), callFor(contender, workload), warmupRequests);
  return interleave(
    contenders,
    rounds,
    async (contender) => {
      const { result, generatorUs, serverUs } = await withCpuTime([contender.server, mock], () =>
        sequential(client(contender, 1), callFor(contender, workload), requestsPerRound),
      );
      const sorted = ascending(result);
      return {
        p50: quantile(sorted, 0.5),
        p99: quantile(sorted, 0.99),
        generatorCpuUs: generatorUs / requestsPerRound,
        serverCpuUs: /** @type {number} */ (serverUs[0]) / requestsPerRound,
        mockCpuUs: /** @type {number} */ (serverUs[1]) / requestsPerRound,
      };
    },
    (contender) => sequential(client(contender, 1), callFor(contender, workload), primeRequests),
  );
}
