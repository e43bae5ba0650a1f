// @ts-check
/**
 * The load generator: undici keep-alive pools, and requests timed with `performance.now()` from the moment they are
 * handed to the pool to the first and the last byte of the answer (and to the end of each event-stream frame). It goes
 * through undici's lowest layer (`dispatch`), which reads the clock straight in its callbacks and keeps its own cost per
 * request small; that cost is the same for every contender, and `added` figures subtract it with the direct path.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

/**
 * @typedef {object} Call One request, as the contender wants it.
 * @property {import('undici').Dispatcher.HttpMethod} method
 * @property {string} path
 * @property {Record<string, string>} headers
 * @property {Buffer | string} [body]
 *
 * @typedef {object} Timing
 * @property {number} status
 * @property {number} startedAt `performance.now()` when the request was handed to the pool.
 * @property {number} firstByteMs From sending to the answer's first body byte.
 * @property {number} totalMs From sending to its last byte.
 * @property {number} bytes
 * @property {number[]} frameMs With `frameEnds`: when each frame was complete, from sending.
 * @property {number} framesInFirstChunk With `frameEnds`: whole frames the first chunk of the body held.
 * @property {Buffer} [body] With `keepBody`.
 * @property {import('node:http').IncomingHttpHeaders} [headers] With `keepBody`.
 *
 * @typedef {object} SendOptions
 * @property {readonly number[]} [frameEnds] The byte offsets at which the answer's frames end (the mock tells them).
 * @property {boolean} [keepBody] Keep the answer's bytes and headers, to check them.
 * @property {() => void} [onFirstByte]
 */

/**
 * A keep-alive pool of up to `connections` connections to `origin`, one request per connection at a time.
 * @param {string} origin @param {number} connections
 */
export function loadClient(origin, connections) {
  return new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000, headersTimeout: 0, bodyTimeout: 0 });
}

/**
 * Sends `call`; `done` resolves with its timing once the answer ended (rejects if it failed or was aborted).
 * @param {import('undici').Dispatcher} pool @param {Call} call @param {SendOptions} [options]
 */
export function send(pool, call, { frameEnds, keepBody = false, onFirstByte } = {}) {
  /** @type {import('undici').Dispatcher.DispatchController | undefined} */
  let controller;
  let aborted = false;
  /** @type {Promise<Timing>} */
  const done = new Promise((resolve, reject) => {
    const startedAt = performance.now();
    let status = 0;
    let bytes = 0;
    let firstByteAt = NaN;
    let framesInFirstChunk = 0;
    let frame = 0;
    /** @type {number[]} */
    const frameMs = [];
    /** @type {Buffer[]} */
    const chunks = [];
    /** @type {import('node:http').IncomingHttpHeaders} */
    let responseHeaders = {};
    pool.dispatch(
      { method: call.method, path: call.path, headers: call.headers, body: call.body ?? null },
      {
        onRequestStart(requestController) {
          controller = requestController;
          if (aborted) requestController.abort(new Error('aborted'));
        },
        onResponseStart(_controller, statusCode, headers) {
          status = statusCode;
          if (keepBody) responseHeaders = headers;
        },
        onResponseData(_controller, chunk) {
          const now = performance.now();
          if (bytes === 0) {
            firstByteAt = now;
            onFirstByte?.();
          }
          bytes += chunk.length;
          if (keepBody) chunks.push(chunk);
          if (frameEnds) {
            while (frame < frameEnds.length && bytes >= /** @type {number} */ (frameEnds[frame])) {
              frameMs.push(now - startedAt);
              frame++;
            }
            if (firstByteAt === now) framesInFirstChunk = frame;
          }
        },
        onResponseEnd() {
          const now = performance.now();
          resolve({
            status,
            startedAt,
            firstByteMs: (Number.isNaN(firstByteAt) ? now : firstByteAt) - startedAt,
            totalMs: now - startedAt,
            bytes,
            frameMs,
            framesInFirstChunk,
            ...(keepBody ? { body: Buffer.concat(chunks), headers: responseHeaders } : {}),
          });
        },
        onResponseError(_controller, error) {
          reject(error);
        },
      },
    );
  });
  const abort = () => {
    aborted = true;
    controller?.abort(new Error('aborted'));
  };
  return { done, abort };
}

/**
 * Sends `call` `count` times one after the other; returns each total time. An answer other than 200 is a broken
 * benchmark, not a slow one: it throws.
 * @param {import('undici').Dispatcher} pool @param {Call} call @param {number} count
 */
export async function sequential(pool, call, count) {
  const totals = new Array(count);
  for (let i = 0; i < count; i++) {
    const timing = await send(pool, call).done;
    if (timing.status !== 200) throw new Error(`${call.method} ${call.path} answered ${timing.status}`);
    totals[i] = timing.totalMs;
  }
  return totals;
}

/**
 * Keeps `concurrency` requests in flight for `ms` (each worker sends its next request when the last one ended);
 * returns the requests completed and the time they took, up to the end of the last one.
 * @param {import('undici').Dispatcher} pool @param {Call} call @param {number} concurrency @param {number} ms
 */
export async function concurrent(pool, call, concurrency, ms) {
  const startedAt = performance.now();
  const deadline = startedAt + ms;
  let requests = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      const timing = await send(pool, call).done;
      if (timing.status !== 200) throw new Error(`${call.method} ${call.path} answered ${timing.status}`);
      requests++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { requests, elapsedMs: performance.now() - startedAt };
}
