// @ts-check
/**
 * 1,000 ConverseStreams open at once through one server process (fresh, so that its memory before is its memory at
 * rest): the process's memory growth per open stream, and its event-loop lag while the streams flow (4 frames/s each,
 * see workload.mjs). Memory is read after a full collection, before the streams and while they are all open; lag is
 * read over `measureMs` once every stream has had its first frame and `settleMs` more have passed (opening 1,000
 * connections at once is a burst no steady state has).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { callFor } from '../contenders.mjs';
import { loadClient, send } from '../load.mjs';

/**
 * @typedef {object} OpenStreamsResult
 * @property {string} name
 * @property {number} streams Requested.
 * @property {number} openWhenMeasured Streams still open when memory was read (all of them, or the figures are off).
 * @property {number} openingMs Until every stream had its first frame.
 * @property {number} rssPerStreamBytes
 * @property {number} heapPerStreamBytes V8 heap used plus memory held outside it (`external`, which counts array buffers).
 * @property {{ before: NodeJS.MemoryUsage, open: NodeJS.MemoryUsage }} memory
 * @property {{ p50: number, p99: number, max: number, samples: number }} lagMs While the streams were open.
 *
 * @typedef {object} OpenStreamsOptions
 * @property {import('../contenders.mjs').Contender} contender One with a server process of its own, fresh.
 * @property {number} streams
 * @property {number} warmupStreams Opened and closed first, so code loaded and compiled on first use is not counted.
 * @property {number} settleMs
 * @property {number} measureMs
 */

/**
 * Opens `count` streams and resolves once each has had its first byte (rejects if one fails first).
 * @param {import('undici').Dispatcher} pool @param {import('../load.mjs').Call} call @param {number} count
 */
async function openStreams(pool, call, count) {
  let withFirstByte = 0;
  /** @type {() => void} */
  let allOpen = () => {};
  const opened = new Promise((resolve) => (allOpen = () => resolve(undefined)));
  const streams = Array.from({ length: count }, () => send(pool, call, { onFirstByte: () => ++withFirstByte === count && allOpen() }));
  let ended = 0;
  for (const stream of streams) stream.done.then(() => ended++, () => ended++);
  // A stream that ends before all are open is a broken run: its failure shows instead of a hang.
  await Promise.race([opened, Promise.any(streams.map((stream) => stream.done)).then((timing) => Promise.reject(new Error(`a stream ended early (status ${timing.status})`)))]);
  return {
    stillOpen: () => count - ended,
    close: async () => {
      for (const stream of streams) stream.abort();
      await Promise.allSettled(streams.map((stream) => stream.done));
    },
  };
}

/** @param {import('../processes.mjs').ServerProcess} server */
async function memoryAtRest(server) {
  await server.ask({ probe: 'gc' });
  return (await server.sample()).memory;
}

/**
 * @param {OpenStreamsOptions} options
 * @returns {Promise<OpenStreamsResult>}
 */
export async function measureOpenStreams({ contender, streams, warmupStreams, settleMs, measureMs }) {
  const { server } = contender;
  if (!server) throw new Error(`${contender.name} has no process to measure`);
  const call = callFor(contender, 'stream-held-open');
  const pool = loadClient(contender.origin, streams);
  try {
    const warmup = await openStreams(pool, call, warmupStreams);
    await warmup.close();
    await sleep(500);
    const before = await memoryAtRest(server);

    const startedAt = performance.now();
    const open = await openStreams(pool, call, streams);
    const openingMs = performance.now() - startedAt;
    await sleep(settleMs);
    await server.ask({ probe: 'reset-lag' });
    await sleep(measureMs);
    const { lagMs } = await server.sample();
    const openMemory = await memoryAtRest(server);
    const openWhenMeasured = open.stillOpen();
    await open.close();

    const liveBytes = (/** @type {NodeJS.MemoryUsage} */ memory) => memory.heapUsed + memory.external;
    return {
      name: contender.name,
      streams,
      openWhenMeasured,
      openingMs,
      rssPerStreamBytes: (openMemory.rss - before.rss) / streams,
      heapPerStreamBytes: (liveBytes(openMemory) - liveBytes(before)) / streams,
      memory: { before, open: openMemory },
      lagMs,
    };
  } finally {
    await pool.destroy();
  }
}
