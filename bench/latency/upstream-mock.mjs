// @ts-check
/**
 * The load-free upstream every contender calls: answers `POST /model/{id}/converse` with a fixed Converse body and
 * `POST /model/{id}/converse-stream` with fixed event-stream frames paced at fixed times. The bytes are the emulator's
 * (`dist/testing/model-responses.js`, frames by `dist/aws/bedrock-frames.js`), made once at start-up, so every contender
 * receives exactly the same answer. It reads nothing of a request but its path (and drains its body); it checks no
 * signature.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { converseBody, converseStreamFrames } from '../../dist/testing/model-responses.js';
import { HELD_OPEN_MODEL_ID, STREAM_SHAPES } from './workload.mjs';

const REQUEST_ID = '6c8c1bd0-0b3f-4c35-9d3e-6f2d1ae0b000';
const CONVERSE_HEADERS = { 'content-type': 'application/json', 'x-amzn-requestid': REQUEST_ID };
const STREAM_HEADERS = { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': REQUEST_ID };
// The model id as a path segment, as the SDK and the gateway send it (`:` percent-encoded).
const HELD_OPEN_SEGMENT = `/model/${encodeURIComponent(HELD_OPEN_MODEL_ID)}/`;

/**
 * @typedef {object} StreamAnswer
 * @property {Buffer[]} frames
 * @property {number} gapMs
 *
 * @typedef {object} AnswerFacts What a client checks an answer against.
 * @property {number} length Bytes of the body.
 * @property {string} sha256 Of the body, hex.
 * @property {number[]} [frameEnds] For streams: the byte offset at which each frame ends.
 * @property {number} [gapMs] For streams: the time between frames.
 */

/**
 * A reply in the emulator's shape: `words` text deltas and their usage.
 * @param {number} words
 */
function reply(words) {
  return {
    deltas: Array.from({ length: words }, (_, index) => (index === 0 ? 'Hello' : ` word${index}`)),
    latencyMs: 420,
    usage: { inputTokens: 256, outputTokens: words, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
  };
}

/**
 * ConverseStream frames, `frames` in all: messageStart, the deltas, contentBlockStop, messageStop, metadata.
 * @param {{ frames: number, gapMs: number }} shape
 * @returns {StreamAnswer}
 */
function streamAnswer({ frames, gapMs }) {
  const encoded = converseStreamFrames(reply(frames - 4));
  if (encoded.length !== frames) throw new Error(`expected ${frames} frames, made ${encoded.length}`);
  return { frames: encoded, gapMs };
}

/** @param {Buffer} body @param {Buffer[]} [frames] @param {number} [gapMs] @returns {AnswerFacts} */
function facts(body, frames, gapMs) {
  const sha256 = createHash('sha256').update(body).digest('hex');
  if (!frames) return { length: body.length, sha256 };
  let end = 0;
  return { length: body.length, sha256, frameEnds: frames.map((frame) => (end += frame.length)), gapMs };
}

/** Now, on a clock every process on the machine shares (ms since the epoch, to the microsecond). */
const wallClock = () => performance.timeOrigin + performance.now();

/**
 * Sends the frames, frame i at i × gapMs after the head (the first at once), and stops if the client goes away.
 * With `sentAt`, pushes the time each frame was handed to the socket (on the shared clock).
 * @param {import('node:http').ServerResponse} res @param {StreamAnswer} answer @param {number[]} [sentAt]
 */
function sendStream(res, { frames, gapMs }, sentAt) {
  res.writeHead(200, STREAM_HEADERS);
  const startedAt = performance.now();
  let next = 0;
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const sendNext = () => {
    const frame = /** @type {Buffer} */ (frames[next++]);
    sentAt?.push(wallClock());
    if (next === frames.length) return res.end(frame);
    res.write(frame);
    timer = setTimeout(sendNext, Math.max(0, startedAt + next * gapMs - performance.now()));
  };
  res.once('close', () => clearTimeout(timer));
  sendNext();
}

/**
 * The mock's request listener, the facts of its answers, and two commands: the headers of the last request it received
 * (to check that the gateway signed) and when it sent each frame of the last paced stream (streams are timed one at a
 * time, so the client can tell each frame's time in transit: its arrival minus its departure).
 */
export function createUpstreamMock() {
  const converse = Buffer.from(converseBody(reply(12)));
  const converseHeaders = { ...CONVERSE_HEADERS, 'content-length': String(converse.length) };
  const paced = streamAnswer(STREAM_SHAPES.paced);
  const heldOpen = streamAnswer(STREAM_SHAPES.heldOpen);
  /** @type {import('node:http').IncomingHttpHeaders} */
  let lastRequestHeaders = {};
  /** @type {number[]} */
  let lastPacedStreamSentAt = [];

  /** @type {import('node:http').RequestListener} */
  const listener = (req, res) => {
    const url = req.url ?? '';
    lastRequestHeaders = req.headers;
    // Answer once the whole request has arrived, as Bedrock does: a 200 KB body is read, not ignored.
    req.once('end', () => {
      if (url.endsWith('/converse')) {
        res.writeHead(200, converseHeaders);
        res.end(converse);
      } else if (url.endsWith('/converse-stream')) {
        if (url.includes(HELD_OPEN_SEGMENT)) sendStream(res, heldOpen);
        else sendStream(res, paced, (lastPacedStreamSentAt = []));
      } else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: `the mock serves /model/{id}/converse and converse-stream, not ${req.method} ${url}` }));
      }
    });
    req.resume();
  };

  return {
    listener,
    facts: {
      converse: facts(converse),
      paced: facts(Buffer.concat(paced.frames), paced.frames, paced.gapMs),
      heldOpen: facts(Buffer.concat(heldOpen.frames), heldOpen.frames, heldOpen.gapMs),
    },
    commands: { lastRequestHeaders: () => lastRequestHeaders, lastPacedStreamSentAt: () => lastPacedStreamSentAt },
  };
}
