/** Converse and ConverseStream usage, prompt-cache counts and their 5m/1h split included; and the live ConverseStream capture. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TokenUsage } from '../../lib/usage/types';
import {
  converseStreamFrames,
  decodeFrames,
  extractFromBody,
  extractFromFrames,
  loadFixture,
  type BodyFixture,
  type ConverseStreamFixture,
} from './helpers';

const WITH_CACHE: TokenUsage = {
  inputTokens: 25,
  outputTokens: 42,
  cacheReadTokens: 1800,
  cacheWriteTokens: 2300,
  cacheWrite5mTokens: 300,
  cacheWrite1hTokens: 2000,
};

describe('Converse', () => {
  const fixture = loadFixture<BodyFixture>('converse');

  test('reads usage with cache reads, writes and the writes by TTL', () => {
    expect(extractFromBody('converse', fixture.modelId, fixture.headers, fixture.body)).toEqual({ usage: WITH_CACHE, source: 'body', complete: true });
  });

  test('without caching there are no cache counts and no split', () => {
    const body = { ...fixture.body, usage: { inputTokens: 12, outputTokens: 5, totalTokens: 17 } };
    const { usage } = extractFromBody('converse', fixture.modelId, {}, body);
    expect(usage).toStrictEqual({ inputTokens: 12, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 });
  });

  test('an empty cacheDetails list (nothing written) reports no split', () => {
    const body = { ...fixture.body, usage: { inputTokens: 12, outputTokens: 5, totalTokens: 1017, cacheReadInputTokens: 1000, cacheDetails: [] } };
    const { usage } = extractFromBody('converse', fixture.modelId, {}, body);
    expect(usage).toStrictEqual({ inputTokens: 12, outputTokens: 5, cacheReadTokens: 1000, cacheWriteTokens: 0 });
  });

  test('a split with one TTL only reports the other as zero', () => {
    const usage = { inputTokens: 1, outputTokens: 2, totalTokens: 403, cacheWriteInputTokens: 400, cacheDetails: [{ ttl: '1h', inputTokens: 400 }] };
    const result = extractFromBody('converse', fixture.modelId, {}, { ...fixture.body, usage });
    expect(result.usage).toStrictEqual({ inputTokens: 1, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 400, cacheWrite5mTokens: 0, cacheWrite1hTokens: 400 });
  });
});

describe('ConverseStream', () => {
  const fixture = loadFixture<ConverseStreamFixture>('converse-stream');

  test('reads the metadata event', () => {
    expect(extractFromFrames('converse-stream', fixture.modelId, converseStreamFrames(fixture))).toEqual({ usage: WITH_CACHE, source: 'stream', complete: true });
  });

  test('the live capture (eu.anthropic.claude-sonnet-4-6, eu-central-1) counts 12 in and 5 out', () => {
    const capturePath = join(__dirname, '..', 'fixtures', 'eventstream', 'captures', 'vercel-ai', 'issue-18994-live-converse-stream.json');
    const capture = JSON.parse(readFileSync(capturePath, 'utf8')) as { modelId: string; response: { bodyBase64: string } };
    const frames = decodeFrames(Buffer.from(capture.response.bodyBase64, 'base64'));
    expect(extractFromFrames('converse-stream', capture.modelId, frames)).toEqual({
      usage: { inputTokens: 12, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 },
      source: 'stream',
      complete: true,
    });
  });
});
