// @ts-check
/**
 * ConverseStream with 200 frames paced 5 ms apart: per round, each contender serves `streamsPerRound` streams one after
 * the other. Per stream:
 *
 * - the time to the first byte (the first frame), from sending the request;
 * - each frame's time in transit: from the moment the mock handed it to its socket to the moment the client had it
 *   whole. Both ends read the same clock (`performance.timeOrigin + performance.now()`, the system's wall clock to the
 *   microsecond), so the mock's own timer lateness, which a shared machine makes large, is out of the figure: what is
 *   left is the contender's forwarding (and the two loopback hops);
 * - whether the first frame was held back: it reached the client only after the mock had sent the second;
 * - the longest garbage-collection pause and event-loop stall in the contender's process meanwhile, which explain the
 *   slowest frames when they are its own.
 */
import { performance } from 'node:perf_hooks';
import { callFor } from '../contenders.mjs';
import { ascending, interleave, median } from '../interleave.mjs';
import { send, sequential } from '../load.mjs';

/**
 * @typedef {object} StreamRound
 * @property {number} firstByteMs Median over the round's streams.
 * @property {number[]} transitMs Every frame's time in transit, of all the round's streams, ascending.
 * @property {number} firstFrameTransitMs Median over the round's streams.
 * @property {number} firstFrameHeld Streams whose first frame arrived after the mock sent the second.
 * @property {number} streams
 * @property {number} [gcPauseMaxMs] In the contender's process (none for the direct path).
 * @property {string} [gcPauseKind] Of that longest pause: major, minor, incremental...
 * @property {number} [lagMaxMs] In the contender's process.
 *
 * @typedef {object} StreamOptions
 * @property {readonly import('../contenders.mjs').Contender[]} contenders
 * @property {number} rounds
 * @property {number} streamsPerRound
 * @property {number} warmupStreams Once per contender, before the rounds.
 * @property {number} primeRequests Converse requests before each measured slice, unmeasured (see interleave.mjs).
 * @property {import('../processes.mjs').ServerProcess} mock
 * @property {import('../contenders.mjs').ClientFor} client
 */

/**
 * One stream, checked whole, and its figures.
 * @param {import('undici').Dispatcher} pool @param {import('../load.mjs').Call} call @param {import('../processes.mjs').ServerProcess} mock
 */
async function timedStream(pool, call, mock) {
  const facts = /** @type {import('../upstream-mock.mjs').AnswerFacts} */ (mock.facts.paced);
  const timing = await send(pool, call, { frameEnds: facts.frameEnds }).done;
  if (timing.status !== 200 || timing.bytes !== facts.length) {
    throw new Error(`${call.path}: status ${timing.status}, ${timing.bytes} bytes of ${facts.length}`);
  }
  /** @type {number[]} */
  const sentAt = await mock.ask({ command: 'lastPacedStreamSentAt' });
  if (sentAt.length !== timing.frameMs.length) throw new Error(`the mock sent ${sentAt.length} frames, the client got ${timing.frameMs.length}`);
  const sentFromClock = performance.timeOrigin + timing.startedAt;
  const arrivedAt = timing.frameMs.map((ms) => sentFromClock + ms);
  const transit = arrivedAt.map((at, i) => at - /** @type {number} */ (sentAt[i]));
  return {
    firstByteMs: timing.firstByteMs,
    transit,
    heldBack: /** @type {number} */ (arrivedAt[0]) > /** @type {number} */ (sentAt[1]),
  };
}

/**
 * @param {StreamOptions} options
 * @returns {Promise<Map<import('../contenders.mjs').Contender, StreamRound[]>>}
 */
export async function measurePacedStreams({ contenders, rounds, streamsPerRound, warmupStreams, primeRequests, mock, client }) {
  const stream = (/** @type {import('../contenders.mjs').Contender} */ contender) => timedStream(client(contender, 1), callFor(contender, 'stream-paced'), mock);
  for (const contender of contenders) for (let i = 0; i < warmupStreams; i++) await stream(contender);
  return interleave(
    contenders,
    rounds,
    async (contender) => {
      await contender.server?.ask({ probe: 'reset-lag' });
      const streams = [];
      for (let i = 0; i < streamsPerRound; i++) streams.push(await stream(contender));
      const stalls = await contender.server?.sample();
      return {
        firstByteMs: median(streams.map((one) => one.firstByteMs)),
        transitMs: ascending(streams.flatMap((one) => one.transit)),
        firstFrameTransitMs: median(streams.map((one) => /** @type {number} */ (one.transit[0]))),
        firstFrameHeld: streams.filter((one) => one.heldBack).length,
        streams: streams.length,
        ...(stalls ? { gcPauseMaxMs: stalls.gcPauses.maxMs, gcPauseKind: stalls.gcPauses.longestKind, lagMaxMs: stalls.lagMs.max } : {}),
      };
    },
    (contender) => sequential(client(contender, 1), callFor(contender, 'converse-small'), primeRequests),
  );
}
