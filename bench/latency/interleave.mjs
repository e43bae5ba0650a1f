// @ts-check
/**
 * Interleaved rounds for the latency benchmarks, as measure.mjs does for in-process work: every contender runs in
 * every round, one after the other, the order rotating and reversed every other round (A B C, C B A, B C A, A C B...),
 * so a slow spell of a shared machine lands on all of them alike and no contender always follows the same one;
 * figures are then taken per round and their median over rounds reported.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { median } from '../measure.mjs';

export { median };

/**
 * A full collection in the load generator before each slice (run.mjs gives node --expose-gc), so no contender pays for
 * another's garbage there; then a pause, so that V8's background threads finishing it (sweeping) are not competing for
 * the machine's two cores while the slice's first requests are timed.
 */
async function collectGarbage() {
  if (typeof globalThis.gc !== 'function') return;
  globalThis.gc();
  await sleep(GC_SETTLE_MS);
}
const GC_SETTLE_MS = 10;

/**
 * Runs `measure` for each contender in each of `rounds` rounds, in the order above; returns each contender's results
 * in round order. `prime`, when given, runs unmeasured just before each measurement (after the collection): the
 * processes on the path have then just been busy, whoever ran before. (Without it, a contender sharing a process
 * with the one measured just before it, such as the 50-deployment group and the CLI, starts warmer than the others.)
 * @template {{ name: string }} C @template T
 * @param {readonly C[]} contenders @param {number} rounds @param {(contender: C, round: number) => Promise<T>} measure
 * @param {(contender: C) => Promise<unknown>} [prime]
 * @returns {Promise<Map<C, T[]>>}
 */
export async function interleave(contenders, rounds, measure, prime) {
  /** @type {Map<C, T[]>} */
  const results = new Map(contenders.map((contender) => [contender, []]));
  for (let round = 0; round < rounds; round++) {
    const shift = Math.floor(round / 2);
    const order = contenders.map((_, k) => /** @type {C} */ (contenders[(shift + k) % contenders.length]));
    if (round % 2 === 1) order.reverse();
    for (const contender of order) {
      await collectGarbage();
      await prime?.(contender);
      results.get(contender)?.push(await measure(contender, round));
    }
  }
  return results;
}

/**
 * The q-th quantile (0..1) by nearest rank, of values sorted ascending.
 * @param {readonly number[]} sorted @param {number} q
 */
export function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return /** @type {number} */ (sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]);
}

/** @param {readonly number[]} values */
export const ascending = (values) => [...values].sort((a, b) => a - b);

/**
 * Per-round differences `a[r] - b[r]` (both measured in round r), and their median.
 * @param {readonly number[]} a @param {readonly number[]} b
 */
export function pairedDifference(a, b) {
  const rounds = a.map((value, r) => value - /** @type {number} */ (b[r]));
  return { median: median(rounds), rounds };
}
