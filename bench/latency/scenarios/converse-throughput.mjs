// @ts-check
/**
 * Converse at concurrency 64: each contender gets 64 requests in flight for a time slice per round (a new one sent as
 * each ends); its figure is requests per second over the slice, with the CPU time per request of each process.
 */
import { callFor } from '../contenders.mjs';
import { withCpuTime } from '../cpu-time.mjs';
import { interleave } from '../interleave.mjs';
import { concurrent } from '../load.mjs';

/**
 * @typedef {object} ThroughputRound
 * @property {number} requestsPerSecond
 * @property {number} generatorCpuUs Per request.
 * @property {number} serverCpuUs Per request.
 * @property {number} mockCpuUs Per request.
 *
 * @typedef {object} ThroughputOptions
 * @property {readonly import('../contenders.mjs').Contender[]} contenders
 * @property {number} concurrency
 * @property {number} rounds
 * @property {number} sliceMs
 * @property {number} warmupMs Once per contender, before the rounds.
 * @property {number} primeMs Before each measured slice, unmeasured (see interleave.mjs).
 * @property {import('../processes.mjs').ServerProcess} mock
 * @property {import('../contenders.mjs').ClientFor} client
 */

/**
 * @param {ThroughputOptions} options
 * @returns {Promise<Map<import('../contenders.mjs').Contender, ThroughputRound[]>>}
 */
export async function measureConverseThroughput({ contenders, concurrency, rounds, sliceMs, warmupMs, primeMs, mock, client }) {
  // Warm-up opens the 64 connections on every hop and lets the JIT see this load.
  const load = (/** @type {import('../contenders.mjs').Contender} */ contender, /** @type {number} */ ms) =>
    concurrent(client(contender, concurrency), callFor(contender, 'converse-small'), concurrency, ms);
  for (const contender of contenders) await load(contender, warmupMs);
  return interleave(
    contenders,
    rounds,
    async (contender) => {
      const { result, generatorUs, serverUs } = await withCpuTime([contender.server, mock], () => load(contender, sliceMs));
      return {
        requestsPerSecond: (result.requests * 1000) / result.elapsedMs,
        generatorCpuUs: generatorUs / result.requests,
        serverCpuUs: /** @type {number} */ (serverUs[0]) / result.requests,
        mockCpuUs: /** @type {number} */ (serverUs[1]) / result.requests,
      };
    },
    (contender) => load(contender, primeMs),
  );
}
