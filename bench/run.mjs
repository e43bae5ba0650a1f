// @ts-check
/**
 * `npm run bench`: runs every scenario against the dist/ build, prints a table and the machine,
 * and writes the results to bench/results/<timestamp>.json. `--quick` makes a short smoke run.
 * Targets are reported, not enforced: the exit code is 0 on MISS (non-zero only if a scenario breaks).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { benchBalancers } from './balancer.mjs';
import { benchEventStream } from './eventstream.mjs';
import { benchLatency, optionValue } from './latency/index.mjs';
import { PLANS } from './measure.mjs';
import { benchRouting } from './routing.mjs';
import { benchSigv4 } from './sigv4.mjs';
import { printTable } from './table.mjs';

// Measure in a child with --expose-gc, so the heap can be collected between time slices (see measure.mjs).
if (typeof globalThis.gc !== 'function') {
  const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}

const quick = process.argv.includes('--quick');
// Also records a CPU profile of the gateway's CLI under load, after the measurements, and prints where its time went.
const profileGateway = process.argv.includes('--profile-gateway');
// Another built checkout whose CLI is measured alongside ours (before/after a change): see bench/README.md.
const against = optionValue('--against');
const plan = quick ? PLANS.quick : PLANS.full;
const streamBytes = quick ? 1_000_000 : 4_000_000;

const machine = {
  node: process.version,
  v8: process.versions.v8,
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  availableParallelism: os.availableParallelism(),
  loadAverage: os.loadavg().map((load) => Math.round(load * 100) / 100),
};
const git = (/** @type {string[]} */ ...args) => {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
};

const startedAt = new Date();
const started = performance.now();
console.log(`bedrock-passthrough benchmarks (${quick ? 'quick: indicative only' : 'full'})`);
console.log(`node ${machine.node} | ${machine.cpu} | ${machine.cores} cores | ${machine.platform} | load ${machine.loadAverage.join(' ')}`);
console.log(`plan: ${plan.rounds} interleaved rounds of ${plan.sliceMs} ms per contender after ${plan.warmupMs} ms warm-up\n`);

console.error('sigv4 ...');
/** @type {any[]} Rows of every kind: each scenario brings its own fields (see table.mjs). */
const results = [...(await benchSigv4({ plan }))];
console.error('eventstream ...');
results.push(...(await benchEventStream({ plan, streamBytes })));
console.error('balancer ...');
results.push(...(await benchBalancers({ plan })));
console.error('routing ...');
results.push(...(await benchRouting({ requests: quick ? 100 : 600, concurrency: 8 })));
const latency = await benchLatency({ quick, profileGateway, against });
results.push(...latency.rows);
const durationSeconds = Math.round((performance.now() - started) / 100) / 10;

printTable(results);
console.log(`\nreferences: sigv4 = @smithy/signature-v4 sign(new HttpRequest(...)) with the named SHA-256;`);
console.log(`            eventstream = @smithy/core getChunkedStream + EventStreamCodec.decode`);
console.log(`            latency = the same requests sent straight to the mock upstream ("direct") and through bare proxies`);
console.log(`            on node:http ("node proxy") and in an Express 5 app ("Express proxy"); "added" = minus direct, same round`);
if (latency.notes.length > 0) console.log(`\n${latency.notes.join('\n')}`);

const resultsDirectory = new URL('./results/', import.meta.url);
mkdirSync(resultsDirectory, { recursive: true });
const file = new URL(`${startedAt.toISOString().replace(/:/g, '-')}.json`, resultsDirectory);
const report = {
  startedAt: startedAt.toISOString(),
  mode: quick ? 'quick' : 'full',
  durationSeconds,
  machine,
  commit: git('rev-parse', 'HEAD'),
  workingTreeDirty: git('status', '--porcelain') ? true : false,
  plan: { ...plan, eventStreamBytes: streamBytes, latency: latency.plan },
  notes: latency.notes,
  results,
};
writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
console.log(`\n${durationSeconds} s; results written to ${file.pathname}`);
