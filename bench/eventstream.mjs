// @ts-check
/**
 * Event-stream decoding throughput: our `EventStreamDecoder` against what the AWS SDK does with a response
 * body, `getChunkedStream` (its splitter of network chunks into whole messages) then `EventStreamCodec.decode`
 * on each message, on a long stream of real Bedrock frames delivered in network-sized chunks.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { EventStreamCodec, getChunkedStream } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/core/serde';
import { EventStreamDecoder } from '../dist/index.js';
import { compare, row } from './measure.mjs';

const TARGET = 3;
const CAPTURES = new URL('../__tests__/fixtures/eventstream/captures/', import.meta.url);

/** Both real captures (a Converse stream and an Anthropic invoke stream), repeated to about `targetBytes`. */
function capturedStream(/** @type {number} */ targetBytes) {
  const converse = JSON.parse(readFileSync(new URL('vercel-ai/issue-18994-live-converse-stream.json', CAPTURES), 'utf8'));
  const invoke = readFileSync(new URL('envoyproxy-ai-gateway/anthropic-invoke-with-response-stream.eventstream.bin', CAPTURES));
  const unit = Buffer.concat([Buffer.from(converse.response.bodyBase64, 'base64'), invoke]);
  return Buffer.concat(Array.from({ length: Math.ceil(targetBytes / unit.length) }, () => unit));
}

/** The stream cut into `size`-byte chunks, each its own Buffer as a socket would deliver it. */
function chunked(/** @type {Buffer} */ stream, /** @type {number} */ size) {
  const chunks = [];
  for (let offset = 0; offset < stream.length; offset += size) chunks.push(Buffer.from(stream.subarray(offset, offset + size)));
  return chunks;
}

/** The chunks as an async iterable, the shape the SDK reads a response body in. @param {Buffer[]} chunks */
async function* asyncSource(chunks) {
  for (const chunk of chunks) yield chunk;
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/**
 * @param {string} label
 * @param {Buffer} stream
 * @param {number} chunkSize
 * @param {import('./measure.mjs').Plan} plan
 */
async function decodingCase(label, stream, chunkSize, plan) {
  const chunks = chunked(stream, chunkSize);

  /** Ours as a proxy uses it: one synchronous `push` per chunk, from a socket's `data` event. */
  const ours = () => {
    const decoder = new EventStreamDecoder();
    let frames = 0;
    for (const chunk of chunks) frames += decoder.push(chunk).length;
    if (decoder.end()) throw decoder.error;
    return frames;
  };
  /** Ours driven by `for await` over the same async source the SDK gets: shows what async plumbing costs. */
  const oursForAwait = async () => {
    const decoder = new EventStreamDecoder();
    let frames = 0;
    for await (const chunk of asyncSource(chunks)) frames += decoder.push(chunk).length;
    if (decoder.end()) throw decoder.error;
    return frames;
  };
  const reference = async () => {
    let frames = 0;
    for await (const message of getChunkedStream(asyncSource(chunks))) {
      codec.decode(message);
      frames++;
    }
    return frames;
  };

  // Same work or no benchmark: the same frames, headers and payloads out of both.
  const digest = (/** @type {Array<{ headers: Record<string, { value: unknown }>, body: Uint8Array }>} */ frames) => {
    const hash = createHash('sha256');
    for (const { headers, body } of frames) hash.update(JSON.stringify(Object.entries(headers).map(([name, { value }]) => [name, String(value)]))).update(body);
    return { count: frames.length, sha256: hash.digest('hex') };
  };
  const oursFrames = [];
  const decoder = new EventStreamDecoder();
  for (const chunk of chunks) oursFrames.push(...decoder.push(chunk));
  assert.equal(decoder.end(), undefined);
  const referenceFrames = [];
  for await (const message of getChunkedStream(asyncSource(chunks))) referenceFrames.push(codec.decode(message));
  const expected = digest(oursFrames);
  assert.deepEqual(digest(referenceFrames), expected, `${label}: decoded frames differ`);
  assert.equal(ours(), expected.count);
  assert.equal(await reference(), expected.count);

  const [oursResult, oursForAwaitResult, referenceResult] = /** @type {import('./measure.mjs').Result[]} */ (
    await compare(
      [
        { name: 'ours', fn: ours },
        { name: 'ours (for await)', fn: oursForAwait },
        { name: 'SDK getChunkedStream + EventStreamCodec', fn: reference },
      ],
      { ...plan, bytesPerOp: stream.length },
    )
  );
  return [
    { ...row(label, oursResult, referenceResult, TARGET), frames: expected.count, bytes: stream.length, chunks: chunks.length },
    { ...row(`${label}, ours via for-await (info)`, oursForAwaitResult, referenceResult), frames: expected.count, bytes: stream.length, chunks: chunks.length },
  ];
}

/**
 * Decode throughput, ours vs the SDK, in 16 KiB chunks and in 1,500-byte chunks that split most frames.
 * @param {{ plan: import('./measure.mjs').Plan, streamBytes: number }} options
 */
export async function benchEventStream({ plan, streamBytes }) {
  const stream = capturedStream(streamBytes);
  return [
    ...(await decodingCase('eventstream 16 KiB chunks', stream, 16 * 1024, plan)),
    ...(await decodingCase('eventstream 1500 B chunks', stream, 1500, plan)),
  ];
}
