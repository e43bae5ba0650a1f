// @ts-check
/**
 * Balancer speed: the time one `pick` takes for every built-in strategy, on groups of 5 and 50 deployments, against
 * simple-shuffle (the default) measured in the same rounds. A pick runs on every request, so the budget is well
 * under 20 µs even at 50 deployments; each row carries its per-pick time and whether it is within that budget.
 *
 * Every strategy is built by `createBalancer`, as the router builds it, over a stats object shaped like the router's
 * (one Map lookup per read). The stats hold still during the run, chosen so that each strategy does its full work:
 * in-flight counts with ties among the least busy, latencies all measured with a few deployments within the
 * tolerance band and the rest outside it (so exploration is live), rpm and tpm limits on every deployment.
 *
 * `node bench/balancer.mjs [--quick]` runs it alone and prints a table; `benchBalancers({ plan })` returns rows for run.mjs.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createBalancer } from '../dist/balancer/index.js';
import { compare, PLANS, row } from './measure.mjs';

const SIZES = [5, 50];
const STRATEGIES = ['round-robin', 'least-busy', 'latency-based-routing', 'usage-based-routing'];
const BUDGET_NS = 20_000;
const CONTEXT = {
  operation: /** @type {const} */ ('converse'),
  modelName: 'claude-sonnet',
  principal: { keyId: 'key-1', keyName: 'team a' },
  streaming: false,
};

/**
 * A group of `size` deployments in different regions, and stats for them.
 * @param {number} size
 */
function group(size) {
  const regions = ['us-east-1', 'us-west-2', 'eu-central-1', 'eu-west-1', 'ap-northeast-1'];
  /** @type {Map<string, { inFlight: number, latencyMs: number, firstByteMs: number, requests: number, tokens: number }>} */
  const records = new Map();
  const candidates = Array.from({ length: size }, (_, index) => {
    const region = regions[index % regions.length] ?? 'us-east-1';
    const id = `${region}/anthropic.claude-3-5-sonnet-20240620-v1:0#${index}`;
    records.set(id, {
      inFlight: index % 4,
      // Every seventh within 10% of the fastest (1000 ms), the others well outside.
      latencyMs: index % 7 === 0 ? 1000 + index : 1500 + 37 * index,
      firstByteMs: 300 + 11 * index,
      requests: (index * 13) % 90,
      tokens: (index * 7919) % 90_000,
    });
    return {
      id,
      modelName: CONTEXT.modelName,
      modelId: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
      region,
      endpoint: `https://bedrock-runtime.${region}.amazonaws.com`,
      weight: 100 + index,
      rpm: 100 + index,
      tpm: 100_000,
    };
  });
  const idle = { inFlight: 0, latencyMs: undefined, firstByteMs: undefined, requests: 0, tokens: 0 };
  /** @type {import('../dist/balancer/stats.js').DeploymentStats} */
  const stats = {
    inFlight: (id) => (records.get(id) ?? idle).inFlight,
    latencyMs: (id, streaming) => {
      const record = records.get(id) ?? idle;
      return streaming ? record.firstByteMs : record.latencyMs;
    },
    usageThisMinute: (id) => records.get(id) ?? idle,
  };
  return { candidates, stats };
}

/**
 * The balancer for `name`.
 * @param {string} name @param {import('../dist/balancer/stats.js').DeploymentStats} stats
 */
function build(name, stats) {
  const balancer = createBalancer(name, stats);
  if (balancer === undefined) throw new Error(`createBalancer has no ${name}`);
  return balancer;
}

/**
 * Picks per second of every strategy against simple-shuffle, at each group size. No targets: the rows are `info`,
 * with `perPickNs` and `withinBudget` (per-pick time under 20 µs) added.
 * @param {{ plan: import('./measure.mjs').Plan }} options
 */
export async function benchBalancers({ plan }) {
  const rows = [];
  for (const size of SIZES) {
    const { candidates, stats } = group(size);
    const names = ['simple-shuffle', ...STRATEGIES];
    const contenders = names.map((name) => {
      const balancer = build(name, stats);
      return { name, fn: () => balancer.pick(candidates, CONTEXT) };
    });
    const [shuffle, ...others] = /** @type {import('./measure.mjs').Result[]} */ (await compare(contenders, plan));
    if (shuffle === undefined) throw new Error('simple-shuffle was not measured');
    for (const result of others) {
      const perPickNs = 1e9 / (result.opsPerSec ?? NaN);
      const referencePerPickNs = 1e9 / (shuffle.opsPerSec ?? NaN);
      rows.push({
        ...row(`balancer ${result.name}, ${size} deployments`, result, shuffle),
        perPickNs,
        referencePerPickNs,
        budgetNs: BUDGET_NS,
        withinBudget: perPickNs < BUDGET_NS,
        oursText: `${Math.round(perPickNs)} ns/pick`,
        referenceText: `${Math.round(referencePerPickNs)} ns/pick`,
        targetText: `< ${BUDGET_NS / 1000} µs`,
        verdict: perPickNs < BUDGET_NS ? 'PASS' : 'MISS',
      });
    }
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // As run.mjs does: measure in a child with --expose-gc, so the heap is collected between time slices.
  if (typeof globalThis.gc !== 'function') {
    const child = spawnSync(process.execPath, ['--expose-gc', process.argv[1], ...process.argv.slice(2)], { stdio: 'inherit' });
    process.exit(child.status ?? 1);
  }
  const plan = process.argv.includes('--quick') ? PLANS.quick : PLANS.full;
  const rows = await benchBalancers({ plan });
  const ns = (/** @type {number} */ value) => `${Math.round(value).toLocaleString('en-US')} ns`;
  console.log(`median of ${plan.rounds} interleaved rounds; reference: simple-shuffle in the same rounds; budget ${ns(BUDGET_NS)} per pick`);
  console.table(
    rows.map((result) => ({
      scenario: result.scenario,
      'per pick': ns(result.perPickNs),
      'simple-shuffle': ns(result.referencePerPickNs),
      'time vs shuffle': `${(1 / result.ratio).toFixed(2)}x`,
      'round spread': `${(1 / result.roundRatioMax).toFixed(2)}-${(1 / result.roundRatioMin).toFixed(2)}x`,
      budget: result.withinBudget ? 'PASS' : 'MISS',
    })),
  );
}
