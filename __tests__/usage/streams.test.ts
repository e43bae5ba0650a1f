/** Streams cut short (abandoned by the client, failed upstream), `result()` at any time, and a real Anthropic stream. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createUsageExtractor } from '../../lib/usage/extractor';
import {
  converseStreamFrames,
  decodeFrames,
  extractFromFrames,
  invokeStreamFrames,
  loadFixture,
  type ConverseStreamFixture,
  type InvokeStreamFixture,
} from './helpers';

const NONE = { usage: undefined, source: 'none', complete: false };

function prefixResult(fixtureName: string, chunks: number) {
  const fixture = loadFixture<InvokeStreamFixture>(fixtureName);
  return extractFromFrames('invoke-with-response-stream', fixture.modelId, invokeStreamFrames(fixture.events.slice(0, chunks)));
}

describe('abandoned streams return what their frames carried', () => {
  test('Anthropic: input and cache counts from message_start, output so far as reported there', () => {
    expect(prefixResult('anthropic-invoke-stream', 4)).toEqual({
      source: 'stream',
      complete: false,
      usage: { inputTokens: 25, outputTokens: 1, cacheReadTokens: 1800, cacheWriteTokens: 2300, cacheWrite5mTokens: 300, cacheWrite1hTokens: 2000 },
    });
  });

  test('Anthropic: cut after message_delta, before message_stop, the final counts are already in', () => {
    expect(prefixResult('anthropic-invoke-stream', 8)).toMatchObject({ source: 'stream', complete: true, usage: { inputTokens: 25, outputTokens: 42 } });
  });

  test('Llama: the prompt count and the running generation count of the latest chunk', () => {
    expect(prefixResult('llama-invoke-stream', 3)).toEqual({
      source: 'stream',
      complete: false,
      usage: { inputTokens: 24, outputTokens: 9, cacheReadTokens: 0, cacheWriteTokens: 0 },
    });
  });

  test('Titan Text: the input count and the running output count', () => {
    expect(prefixResult('titan-text-invoke-stream', 2)).toEqual({
      source: 'stream',
      complete: false,
      usage: { inputTokens: 8, outputTokens: 24, cacheReadTokens: 0, cacheWriteTokens: 0 },
    });
  });

  test('Nova, whose usage only closes the stream: nothing', () => {
    expect(prefixResult('nova-invoke-stream', 5)).toEqual(NONE);
  });

  test('ConverseStream before its metadata event: nothing', () => {
    const fixture = loadFixture<ConverseStreamFixture>('converse-stream');
    expect(extractFromFrames('converse-stream', fixture.modelId, converseStreamFrames(fixture).slice(0, 4))).toEqual(NONE);
  });

  test('a stream abandoned before its first frame: nothing', () => {
    expect(prefixResult('anthropic-invoke-stream', 0)).toEqual(NONE);
  });
});

test('result() can be called after every frame and follows the stream', () => {
  const fixture = loadFixture<InvokeStreamFixture>('llama-invoke-stream');
  const extractor = createUsageExtractor('invoke-with-response-stream', fixture.modelId);
  const outputs: number[] = [];
  for (const frame of invokeStreamFrames(fixture.events)) {
    extractor.observeFrame(frame);
    outputs.push(extractor.result().usage?.outputTokens ?? -1);
  }
  expect(outputs).toEqual([3, 6, 9, 12, 15, 16]);
  expect(extractor.result()).toMatchObject({ source: 'stream', complete: true });
});

test('the real Anthropic stream (envoyproxy/ai-gateway capture) counts 10 in and 15 out', () => {
  const capture = join(__dirname, '..', 'fixtures', 'eventstream', 'captures', 'envoyproxy-ai-gateway', 'anthropic-invoke-with-response-stream.eventstream.bin');
  const frames = decodeFrames(readFileSync(capture));
  expect(extractFromFrames('invoke-with-response-stream', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', frames)).toEqual({
    source: 'stream',
    complete: true,
    usage: { inputTokens: 10, outputTokens: 15, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0 },
  });
});
