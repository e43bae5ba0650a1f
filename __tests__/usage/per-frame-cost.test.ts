/**
 * The tap's work per frame stays small on long streams: content frames are not decoded as they pass. Counted as
 * JSON.parse calls (each decoded chunk costs two: the `{bytes, p}` envelope and the model event inside).
 */
import { encodeEventFrame } from '../../lib/aws/bedrock-frames';
import type { EventStreamFrame } from '../../lib/aws/eventstream';
import { createUsageExtractor } from '../../lib/usage/extractor';
import { KEPT_LAST_CHUNKS } from '../../lib/usage/invoke-stream-extractor';
import type { UsageExtractor } from '../../lib/usage/types';
import { decodeFrames, invokeStreamFrames, loadFixture, type ConverseStreamFixture } from './helpers';

const FRAMES = 1000;
const PARSES_PER_CHUNK = 2;

/** Feeds the frames and counts the JSON.parse calls of observing them and of the result. */
function countParses(extractor: UsageExtractor, frames: readonly EventStreamFrame[]) {
  const parse = jest.spyOn(JSON, 'parse');
  const perFrame = frames.map((frame) => {
    const before = parse.mock.calls.length;
    extractor.observeFrame(frame);
    return parse.mock.calls.length - before;
  });
  const beforeResult = parse.mock.calls.length;
  const result = extractor.result();
  const inResult = parse.mock.calls.length - beforeResult;
  parse.mockRestore();
  return { perFrame, inResult, result };
}

function anthropicStream(deltas: number): Array<Record<string, unknown>> {
  return [
    { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], usage: { input_tokens: 310, output_tokens: 1 } } },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    ...Array.from({ length: deltas }, (_, index) => ({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: `word${index} ` } })),
    { type: 'content_block_stop', index: 0 },
    { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: deltas } },
    { type: 'message_stop', 'amazon-bedrock-invocationMetrics': { inputTokenCount: 310, outputTokenCount: deltas, invocationLatency: 9000, firstByteLatency: 300 } },
  ];
}

afterEach(() => jest.restoreAllMocks());

test(`Anthropic, ${FRAMES} frames: only the first chunk is decoded as it passes, the last ${KEPT_LAST_CHUNKS} in result()`, () => {
  const events = anthropicStream(FRAMES - 5);
  expect(events).toHaveLength(FRAMES);
  const frames = invokeStreamFrames(events);
  const { perFrame, inResult, result } = countParses(createUsageExtractor('invoke-with-response-stream', 'us.anthropic.claude-haiku-4-5-20251001-v1:0'), frames);
  expect(perFrame[0]).toBe(PARSES_PER_CHUNK);
  expect(perFrame.slice(1).every((parses) => parses === 0)).toBe(true);
  expect(inResult).toBe(KEPT_LAST_CHUNKS * PARSES_PER_CHUNK);
  expect(result).toEqual({ source: 'stream', complete: true, usage: { inputTokens: 310, outputTokens: FRAMES - 5, cacheReadTokens: 0, cacheWriteTokens: 0 } });
});

test(`Llama, ${FRAMES} frames abandoned midway: the latest chunk gives the running output count`, () => {
  const events = Array.from({ length: FRAMES }, (_, index) => ({
    generation: ` w${index}`,
    prompt_token_count: index === 0 ? 57 : null,
    generation_token_count: index + 1,
    stop_reason: null,
  }));
  const { perFrame, inResult, result } = countParses(createUsageExtractor('invoke-with-response-stream', 'meta.llama3-8b-instruct-v1:0'), invokeStreamFrames(events));
  expect(perFrame.reduce((sum, parses) => sum + parses, 0)).toBe(PARSES_PER_CHUNK);
  expect(inResult).toBe(KEPT_LAST_CHUNKS * PARSES_PER_CHUNK);
  expect(result).toEqual({ source: 'stream', complete: false, usage: { inputTokens: 57, outputTokens: FRAMES, cacheReadTokens: 0, cacheWriteTokens: 0 } });
});

test(`ConverseStream, ${FRAMES} frames: only the metadata event is parsed`, () => {
  const fixture = loadFixture<ConverseStreamFixture>('converse-stream');
  const metadata = fixture.events.at(-1);
  if (!metadata) throw new Error('the fixture has no events');
  const bytes = [
    encodeEventFrame('messageStart', { role: 'assistant', p: 'abc' }),
    ...Array.from({ length: FRAMES - 2 }, (_, index) => encodeEventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: `w${index} ` }, p: 'abc' })),
    encodeEventFrame(metadata.type, metadata.payload),
  ];
  const { perFrame, inResult, result } = countParses(createUsageExtractor('converse-stream', fixture.modelId), decodeFrames(Buffer.concat(bytes)));
  expect(perFrame.slice(0, -1).every((parses) => parses === 0)).toBe(true);
  expect(perFrame.at(-1)).toBe(1);
  expect(inResult).toBe(0);
  expect(result).toMatchObject({ source: 'stream', complete: true });
});

/** The fastest of a few runs, in nanoseconds: the first runs pay for warming up, and a busy machine adds noise. */
function fastestRunNs(run: () => void, runs = 5): number {
  let fastest = Infinity;
  for (let index = 0; index < runs; index++) {
    const start = process.hrtime.bigint();
    run();
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - start));
  }
  return fastest;
}

test('observing a content frame does no decoding: much cheaper than decoding one', () => {
  const frames = invokeStreamFrames(anthropicStream(20_000));
  const observeNs = fastestRunNs(() => {
    const extractor = createUsageExtractor('invoke-with-response-stream', 'anthropic.claude-3-haiku-20240307-v1:0');
    for (const frame of frames) extractor.observeFrame(frame);
  });
  const decodeNs = fastestRunNs(() => {
    for (const frame of frames) JSON.parse(Buffer.from((JSON.parse(frame.body.toString()) as { bytes: string }).bytes, 'base64').toString());
  });
  // Generous: on these machines the tap is some 20 to 50 times cheaper than decoding every chunk.
  expect(observeNs * 5).toBeLessThan(decodeNs);
});
