// @ts-check
/**
 * Interleaved benchmarking: every contender runs in every round, one after the other, for the same time
 * slice, so background noise on a shared machine lands on all of them alike. A rate is the median over rounds.
 */
import { performance } from 'node:perf_hooks';

/**
 * @typedef {object} Contender
 * @property {string} name
 * @property {() => unknown} fn One operation. If it returns a promise, the promise is awaited.
 *
 * @typedef {object} Plan
 * @property {number} rounds Rounds measured (each runs every contender once).
 * @property {number} sliceMs Time each contender runs per round.
 * @property {number} warmupMs Time each contender runs before measuring (JIT warm-up), not recorded.
 * @property {number} [bytesPerOp] When given, rates are MB/s (10^6 bytes) instead of operations per second.
 *
 * @typedef {object} Result
 * @property {string} name
 * @property {number} [opsPerSec] Median over rounds (without `bytesPerOp`).
 * @property {number} [MBPerSec] Median over rounds (with `bytesPerOp`).
 * @property {number[]} rounds The rate of each round, in round order.
 */

/** Keeps results alive so the engine cannot drop the work that made them. */
export let sink = /** @type {unknown} */ (undefined);

/**
 * A full garbage collection before each slice, when node runs with --expose-gc (bench/run.mjs sees to it),
 * so no contender pays for collecting the garbage of the one before it.
 */
const collectGarbage = typeof globalThis.gc === 'function' ? globalThis.gc : () => {};

/** @param {number[]} values */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (/** @type {number} */ index) => sorted[index] ?? NaN;
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? at(middle) : (at(middle - 1) + at(middle)) / 2;
}

/**
 * Runs `fn` in batches until `ms` have passed; returns operations done and the exact time taken.
 * @param {() => unknown} fn @param {boolean} isAsync @param {number} batch @param {number} ms
 */
async function runFor(fn, isAsync, batch, ms) {
  let ops = 0;
  let elapsed = 0;
  const start = performance.now();
  do {
    if (isAsync) for (let i = 0; i < batch; i++) sink = await fn();
    else for (let i = 0; i < batch; i++) sink = fn();
    ops += batch;
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  return { ops, ms: elapsed };
}

/**
 * Benchmarks contenders interleaved: warm-up, then `rounds` rounds of A B C..., the order rotating each
 * round (B C A, then C A B...) so every contender takes every position in turn.
 * @param {Contender[]} contenders @param {Plan} plan
 * @returns {Promise<Result[]>} In the order of `contenders`.
 */
export async function compare(contenders, plan) {
  const prepared = [];
  for (const { name, fn } of contenders) {
    const first = fn();
    const isAsync = typeof (/** @type {any} */ (first)?.then) === 'function';
    sink = await first;
    // Batch size: enough operations that one batch takes about 1 ms, so reading the clock costs nothing.
    let batch = 1;
    while ((await runFor(fn, isAsync, batch, 0)).ms < 1 && batch < 1 << 20) batch *= 2;
    prepared.push({ name, fn, isAsync, batch, rates: /** @type {number[]} */ ([]) });
  }
  for (const c of prepared) await runFor(c.fn, c.isAsync, c.batch, plan.warmupMs);

  for (let round = 0; round < plan.rounds; round++) {
    for (let k = 0; k < prepared.length; k++) {
      const c = /** @type {(typeof prepared)[number]} */ (prepared[(round + k) % prepared.length]);
      collectGarbage();
      const { ops, ms } = await runFor(c.fn, c.isAsync, c.batch, plan.sliceMs);
      const perSecond = (ops * 1000) / ms;
      c.rates.push(plan.bytesPerOp ? (perSecond * plan.bytesPerOp) / 1e6 : perSecond);
    }
  }
  return prepared.map(({ name, rates }) =>
    plan.bytesPerOp ? { name, MBPerSec: median(rates), rounds: rates } : { name, opsPerSec: median(rates), rounds: rates },
  );
}

/**
 * A result row: ours against a reference measured in the same rounds. The ratio is the ratio of the medians;
 * the per-round ratios (ours and reference ran back to back) show how steady it was.
 * @param {string} scenario @param {Result} ours @param {Result} reference @param {number} [target] Minimum ratio.
 */
export function row(scenario, ours, reference, target) {
  const rate = (/** @type {Result} */ result) => result.opsPerSec ?? result.MBPerSec ?? NaN;
  const perRound = ours.rounds.map((value, i) => value / (reference.rounds[i] ?? NaN));
  const ratio = rate(ours) / rate(reference);
  return {
    scenario,
    unit: ours.MBPerSec === undefined ? 'ops/s' : 'MB/s',
    ours: rate(ours),
    reference: rate(reference),
    referenceName: reference.name,
    ratio,
    roundRatioMin: Math.min(...perRound),
    roundRatioMax: Math.max(...perRound),
    target,
    verdict: target === undefined ? 'info' : ratio >= target ? 'PASS' : 'MISS',
    rounds: { ours: ours.rounds, reference: reference.rounds },
  };
}

/** Plans for a full run and for `--quick` (a smoke check: numbers are indicative only). */
export const PLANS = {
  full: { rounds: 15, sliceMs: 150, warmupMs: 800 },
  quick: { rounds: 3, sliceMs: 50, warmupMs: 250 },
};
