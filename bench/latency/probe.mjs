// @ts-check
/**
 * Preloaded (`node --import`) into every server process of the latency benchmarks, the gateway's CLI included, so the
 * parent can read the process's own figures over IPC: memory, CPU time, event-loop lag; collect its garbage; and
 * record a CPU profile of a chosen stretch. It does nothing until asked, besides the lag monitor and the
 * garbage-collection observer every process gets alike.
 *
 * Messages: `{ id, probe: 'sample' | 'reset-lag' | 'gc' | 'profile-start' | 'profile-stop', file? }`, answered with
 * `{ id, result }` or `{ id, error }`.
 */
import { writeFileSync } from 'node:fs';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

/** The lag monitor's timer interval. Node records the whole interval, so lag is a value minus this. */
const RESOLUTION_MS = 10;
const lag = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
lag.enable();

// Garbage-collection pauses since the last reset: a long one stalls every request and stream of the process.
const GC_KINDS = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
};
const gcPauses = { count: 0, totalMs: 0, maxMs: 0, longestKind: '' };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcPauses.count++;
    gcPauses.totalMs += entry.duration;
    if (entry.duration <= gcPauses.maxMs) continue;
    gcPauses.maxMs = entry.duration;
    // Node puts the kind of collection in `detail` (typed loosely by @types/node).
    gcPauses.longestKind = GC_KINDS[/** @type {{ detail?: { kind?: number } }} */ (/** @type {unknown} */ (entry)).detail?.kind ?? 0] ?? 'other';
  }
}).observe({ entryTypes: ['gc'] });

/** @type {import('node:inspector').Session | undefined} */
let profiler;

/** @param {import('node:inspector').Session} session @param {string} method @param {object} [params] @returns {Promise<any>} */
function post(session, method, params) {
  return new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
}

/** @param {number} nanoseconds */
const lagMs = (nanoseconds) => Math.max(0, nanoseconds / 1e6 - RESOLUTION_MS);

/** @type {Record<string, (message: any) => unknown>} */
const PROBES = {
  sample: () => ({
    memory: process.memoryUsage(),
    cpu: process.cpuUsage(),
    lagMs: { p50: lagMs(lag.percentile(50)), p99: lagMs(lag.percentile(99)), max: lagMs(lag.max), samples: lag.count },
    gcPauses: { ...gcPauses },
  }),
  // Lag and garbage-collection pauses are then counted afresh.
  'reset-lag': () => {
    lag.reset();
    Object.assign(gcPauses, { count: 0, totalMs: 0, maxMs: 0, longestKind: '' });
  },
  gc: () => {
    if (typeof globalThis.gc !== 'function') throw new Error('start the process with --expose-gc');
    // Twice: the first pass may only queue finalizers that free more.
    globalThis.gc();
    globalThis.gc();
  },
  'profile-start': async () => {
    const { Session } = await import('node:inspector');
    profiler = new Session();
    profiler.connect();
    await post(profiler, 'Profiler.enable');
    await post(profiler, 'Profiler.setSamplingInterval', { interval: 100 });
    await post(profiler, 'Profiler.start');
  },
  'profile-stop': async ({ file }) => {
    if (!profiler) throw new Error('no profile started');
    const { profile } = await post(profiler, 'Profiler.stop');
    profiler.disconnect();
    profiler = undefined;
    writeFileSync(file, JSON.stringify(profile));
    return file;
  },
};

// A parent that died without stopping us (a crash, ^C) closes the channel: no server outlives its benchmark.
process.on('disconnect', () => process.exit(0));

process.on('message', (/** @type {any} */ message) => {
  const probe = message?.probe === undefined ? undefined : PROBES[message.probe];
  if (!probe) return;
  Promise.resolve()
    .then(() => probe(message))
    .then(
      (result) => process.send?.({ id: message.id, result }),
      (error) => process.send?.({ id: message.id, error: String(error?.message ?? error) }),
    );
});
