// `npm run soak [-- --duration 3m]`: mixed traffic on all four model operations against two gateway instances sharing
// one Redis, in front of an emulator failing about one call in ten, with clients abandoning calls midway. Then it
// checks that every call got exactly one well-formed answer, that the usage records add up to the calls the emulator
// served, that the rate limit and the budget held across both instances, and that each instance's memory and open
// handles came back to their baseline. Prints a summary; exits 1 if a check failed. `--json` adds one JSON line
// with the numbers (the jest test reads it).
import Redis from 'ioredis';
import { parseArgs } from 'node:util';
import { startBedrockEmulator } from '../../dist/testing/index.js';
import { OPERATIONS, tagIn } from './answers.mjs';
import { RSS_TOLERANCE_BYTES, checkAccounting, checkAnswers, checkBudget, checkInstances, checkRateLimit, checkResources, mb } from './checks.mjs';
import { FAULT_NAMES, injectFaults } from './faults.mjs';
import { FIXED_USAGE, startGateways } from './gateways.mjs';
import { startRedisServer } from './redis-server.mjs';
import { CONCURRENCY, runTraffic, warmUp } from './traffic.mjs';

// The AWS SDK warns on Node 20 about its future Node 22 floor, once per process: not news for a soak run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values: options } = parseArgs({ options: { duration: { type: 'string', default: '3m' }, json: { type: 'boolean', default: false } } });
const durationMs = parseDuration(options.duration);
/**
 * How long the instances get to come back to their baseline after the traffic: the clients close their connections at
 * once, the emulator closes the idle upstream ones after 5 s (node:http's keep-alive timeout), V8 collects when idle.
 */
const SETTLE_TIMEOUT_MS = 30_000;
/** Calls per operation and instance before the baseline is taken. */
const WARM_UP_CALLS_PER_OPERATION = 10;
const WARM_UP_CALLS = WARM_UP_CALLS_PER_OPERATION * OPERATIONS.length;
const REPLY = 'The soak asks for a long answer so that streams have frames enough to be cut, failed and abandoned midway through them, like real ones.';

const redis = await startRedisServer();
const emulator = await startBedrockEmulator({ replyText: REPLY });
const gateways = await startGateways(emulator, redis.url);
const urls = gateways.instances.map((instance) => instance.url);
const startedAt = new Date();
console.log(`soak: ${gateways.instances.length} instances (${urls.join(', ')}), Redis ${redis.url}, emulator ${emulator.url}; ${options.duration} of traffic`);

// The baseline: open handles while idle, before any call; memory once warmed up (code compiled, pools filled).
const idle = gateways.instances.map((instance) => instance.resources());
// The warm-up's answers report the same fixed usage as every later one (a behaviour used up by exactly its calls).
emulator.inject({ usage: FIXED_USAGE, times: urls.length * WARM_UP_CALLS });
const outcomes = await warmUp(urls, WARM_UP_CALLS_PER_OPERATION);
const baselines = gateways.instances.map((instance, index) => ({ ...idle[index], rssBytes: instance.resources().rssBytes }));

injectFaults(emulator);
const rpmCounters = await watchRateCounters(redis.url);
const peaks = baselines.map((baseline) => ({ ...baseline }));
const sampler = setInterval(() => {
  gateways.instances.forEach((instance, index) => {
    const now = instance.resources();
    peaks[index].rssBytes = Math.max(peaks[index].rssBytes, now.rssBytes);
    peaks[index].openHandles = Math.max(peaks[index].openHandles, now.openHandles);
  });
}, 1000);
const trafficStartedAt = Date.now();
outcomes.push(...(await runTraffic(urls, trafficStartedAt + durationMs)));
const trafficMs = Date.now() - trafficStartedAt;
clearInterval(sampler);
const settleStartedAt = Date.now();
await settle(baselines);
const settleMs = Date.now() - settleStartedAt;
const after = gateways.instances.map((instance) => instance.resources());
const openSockets = gateways.instances.map((instance) => instance.sockets());

const counters = { rpm: await rpmCounters.stop(), spentUsd: await readSpend(redis.url) };
const exitCodes = await Promise.all(gateways.instances.map((instance) => instance.stop()));
const records = gateways.records();
const instances = gateways.instances.map((instance, index) => ({
  name: instance.name,
  baseline: baselines[index],
  peak: peaks[index],
  after: after[index],
  openSockets: openSockets[index],
  exitCode: exitCodes[index],
  errors: instance.errors,
  warnings: instance.warnings,
  lifecycle: instance.lifecycle,
  records: instance.records.length,
}));
const checks = [
  ...checkAnswers(outcomes, records),
  ...checkAccounting(outcomes, records, emulator.requests),
  ...checkRateLimit(outcomes, records, counters.rpm),
  ...checkBudget(records, counters.spentUsd),
  ...checkResources(instances),
  ...checkInstances(instances),
];
if (process.env.SOAK_DUMP) {
  const { writeFileSync } = await import('node:fs');
  const calls = emulator.requests.map(({ body, responseBody, headers, ...call }) => ({ ...call, tag: tagIn(body), responseBytes: responseBody?.length }));
  writeFileSync(process.env.SOAK_DUMP, JSON.stringify({ outcomes, records, calls }));
}
const summary = summarize();
printSummary(summary);
await emulator.close();
await redis.stop();
process.exit(checks.every((check) => check.ok) ? 0 : 1);

/**
 * Waits until each instance is back to its baseline: at most as many open handles, and RSS within
 * {@link RSS_TOLERANCE_BYTES} (V8 gives memory back when it collects, seconds after the load is gone, not at once).
 * Says, per instance, whether that happened before the timeout.
 */
async function settle(references) {
  const settledNow = () =>
    gateways.instances.map((instance, index) => {
      const now = instance.resources();
      return now.openHandles <= references[index].openHandles && now.rssBytes <= references[index].rssBytes + RSS_TOLERANCE_BYTES;
    });
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  while (Date.now() < deadline && !settledNow().every(Boolean)) await new Promise((resolve) => setTimeout(resolve, 250));
  return settledNow();
}

/**
 * Reads the rate-limited key's per-minute counters from Redis every 250 ms while the traffic runs: a counter expires
 * a second after its minute, so reading them only at the end would miss the earlier minutes. A counter only grows,
 * so the last value read of a minute is its final one as long as it was read after the minute's last admission,
 * which the checks make sure of for the minutes they judge (calls were still being refused in them).
 */
async function watchRateCounters(url) {
  const client = new Redis(url);
  const counters = new Map();
  const read = async () => {
    for (const key of await client.keys(`*key-rpm:*`)) {
      const value = await client.get(key);
      if (value !== null) counters.set(Number(key.split(':').at(-1)), Number(value));
    }
  };
  let reading = read();
  const timer = setInterval(() => (reading = reading.then(read)), 250);
  return {
    async stop() {
      clearInterval(timer);
      await reading;
      await read();
      client.disconnect();
      return new Map([...counters].sort(([a], [b]) => a - b));
    },
  };
}

/** The budget key's spend as the instances counted it in Redis (the only key with a budget). */
async function readSpend(url) {
  const client = new Redis(url);
  try {
    const values = await Promise.all((await client.keys('*key-spend:*')).map((key) => client.get(key)));
    return values.reduce((sum, value) => sum + Number(value), 0);
  } finally {
    client.disconnect();
  }
}

/** The items of `after` not in `before` (as multisets): the kinds of handles an instance holds beyond its baseline. */
function beyond(after, before) {
  const left = [...before];
  return after.filter((kind) => {
    const index = left.indexOf(kind);
    if (index === -1) return true;
    left.splice(index, 1);
    return false;
  });
}

function summarize() {
  const count = (items, keyOf) => Object.fromEntries([...items.reduce((map, item) => map.set(keyOf(item), (map.get(keyOf(item)) ?? 0) + 1), new Map())].sort(([, a], [, b]) => b - a));
  return {
    machine: { node: process.version, platform: `${process.platform} ${process.arch}` },
    startedAt: startedAt.toISOString(),
    trafficSeconds: Math.round(trafficMs / 1000),
    settleSeconds: Math.round(settleMs / 100) / 10,
    concurrency: CONCURRENCY,
    faults: FAULT_NAMES,
    calls: outcomes.length,
    callsPerSecond: Math.round(outcomes.length / (trafficMs / 1000)),
    outcomes: count(outcomes, (outcome) => outcome.kind),
    byOperation: count(outcomes, (outcome) => outcome.operation),
    byClient: count(outcomes, (outcome) => outcome.client),
    emulatorCalls: emulator.requests.length,
    emulatorOutcomes: count(emulator.requests, (request) => `${request.outcome} ${request.status ?? '-'}`),
    records: records.length,
    instances: instances.map(({ name, baseline, peak, after: end, records: logged, warnings, openSockets: sockets, exitCode, lifecycle }) => ({
      name,
      exitCode,
      openSockets: sockets,
      extraHandles: beyond(end.handleKinds, baseline.handleKinds),
      warningLines: [...new Set(warnings.map((warning) => JSON.parse(warning).msg))].slice(0, 5),
      lastLines: lifecycle.slice(-4),
      records: logged,
      warnings: warnings.length,
      rss: { baseline: mb(baseline.rssBytes), peak: mb(peak.rssBytes), after: mb(end.rssBytes) },
      openHandles: { baseline: baseline.openHandles, peak: peak.openHandles, after: end.openHandles },
    })),
    checks,
  };
}

function printSummary(summary) {
  const line = (label, value) => console.log(`  ${label.padEnd(22)} ${value}`);
  console.log(`\nsoak summary (${summary.machine.node}, ${summary.machine.platform})`);
  line('traffic', `${summary.trafficSeconds} s, ${summary.calls} calls (${summary.callsPerSecond}/s), concurrency ${JSON.stringify(summary.concurrency)}`);
  line('operations', JSON.stringify(summary.byOperation));
  line('clients', JSON.stringify(summary.byClient));
  line('injected faults', summary.faults.join(', '));
  line('answers', JSON.stringify(summary.outcomes));
  line('emulator', `${summary.emulatorCalls} calls: ${JSON.stringify(summary.emulatorOutcomes)}`);
  line('usage records', String(summary.records));
  line('settled', `back to baseline ${summary.settleSeconds} s after the traffic`);
  for (const instance of summary.instances) {
    line(instance.name, `${instance.records} records, ${instance.warnings} warnings; RSS ${instance.rss.baseline} → peak ${instance.rss.peak} → ${instance.rss.after}; handles ${instance.openHandles.baseline} → peak ${instance.openHandles.peak} → ${instance.openHandles.after}`);
    if (instance.openSockets.length) line('', `sockets open at the end: ${instance.openSockets.join(', ')}`);
    if (instance.extraHandles.length) line('', `handles beyond the baseline: ${instance.extraHandles.join(', ')}`);
    for (const warning of instance.warningLines) line('', `warned: ${warning}`);
    if (instance.exitCode !== 0) line('', `last lines: ${instance.lastLines.join(' ')}`);

  }
  console.log('\nchecks');
  for (const { name, ok, detail } of summary.checks) console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${name}: ${detail}`);
  if (options.json) console.log(`\nsoak-json ${JSON.stringify(summary)}`);
}

/** `90`, `90s`, `3m`, `1h` → milliseconds. */
function parseDuration(text) {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  if (!match) {
    console.error(`soak: --duration must look like 90s, 3m or 1h, got '${text}'`);
    process.exit(2);
  }
  return Number(match[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'];
}

