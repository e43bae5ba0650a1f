/** Fixtures of `__tests__/fixtures/usage/` turned into what the gateway hands an extractor: headers, bodies, real frames. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeEventFrame, encodeExceptionFrame } from '../../lib/aws/bedrock-frames';
import { EventStreamDecoder, type EventStreamFrame } from '../../lib/aws/eventstream';
import type { OperationName } from '../../lib/operations';
import { createUsageExtractor, type UsageResult } from '../../lib/usage/extractor';

const FIXTURES = join(__dirname, '..', 'fixtures', 'usage');

type Headers = Record<string, string>;

/** An InvokeModel or Converse answer: its response headers and JSON body. */
export interface BodyFixture {
  readonly modelId: string;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

/** An InvokeModelWithResponseStream answer: the model events, in order, as decoded from the chunks' `bytes`. */
export interface InvokeStreamFixture {
  readonly modelId: string;
  readonly events: ReadonlyArray<Record<string, unknown>>;
}

/** A ConverseStream answer: each event's type (`:event-type`) and JSON payload. */
export interface ConverseStreamFixture {
  readonly modelId: string;
  readonly events: ReadonlyArray<{ readonly type: string; readonly payload: Record<string, unknown> }>;
}

export function loadFixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as T;
}

/** Decodes frame bytes with the gateway's own decoder, as the tap receives them. */
export function decodeFrames(bytes: Buffer): EventStreamFrame[] {
  const decoder = new EventStreamDecoder();
  const frames = [...decoder.push(bytes)];
  if (decoder.end()) throw new Error('the test built a corrupt stream');
  return frames;
}

/** Wraps one model event as Bedrock does in InvokeModelWithResponseStream: a `chunk` event of base64 JSON bytes. */
export function chunkFrameBytes(event: unknown): Buffer {
  return encodeEventFrame('chunk', { bytes: Buffer.from(JSON.stringify(event), 'utf8').toString('base64'), p: 'abc' });
}

export function invokeStreamFrames(events: readonly unknown[]): EventStreamFrame[] {
  return decodeFrames(Buffer.concat(events.map(chunkFrameBytes)));
}

export function converseStreamFrames(fixture: ConverseStreamFixture): EventStreamFrame[] {
  return decodeFrames(Buffer.concat(fixture.events.map((event) => encodeEventFrame(event.type, event.payload))));
}

export function exceptionFrame(): EventStreamFrame {
  const [frame] = decodeFrames(encodeExceptionFrame('modelStreamErrorException', 'The model failed mid-stream.'));
  if (!frame) throw new Error('no frame');
  return frame;
}

/** Runs a plain answer through a fresh extractor. */
export function extractFromBody(operation: OperationName, modelId: string, headers: Headers, body: Buffer | object): UsageResult {
  const extractor = createUsageExtractor(operation, modelId);
  extractor.observeHeaders(headers);
  extractor.observeBody(Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body), 'utf8'));
  return extractor.result();
}

/** Runs a streamed answer through a fresh extractor (stream responses carry no token headers). */
export function extractFromFrames(operation: OperationName, modelId: string, frames: readonly EventStreamFrame[]): UsageResult {
  const extractor = createUsageExtractor(operation, modelId);
  extractor.observeHeaders({ 'content-type': 'application/vnd.amazon.eventstream' });
  for (const frame of frames) extractor.observeFrame(frame);
  return extractor.result();
}
