/** Which source counts an answer: the model's own usage, else Bedrock's invocation metrics, else its headers; errors count nothing. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LARGE_BODY_BYTES } from '../../lib/usage/body-extractor';
import { createUsageExtractor } from '../../lib/usage/extractor';
import {
  exceptionFrame,
  extractFromBody,
  extractFromFrames,
  invokeStreamFrames,
  loadFixture,
  type BodyFixture,
  type InvokeStreamFixture,
} from './helpers';

const NONE = { usage: undefined, source: 'none', complete: false };
const UNKNOWN_MODEL = 'acme.oracle-9000-v1:0';

describe('InvokeModel: body, then headers', () => {
  const fixture = loadFixture<BodyFixture>('anthropic-invoke');

  test('complete body usage wins over the headers, even when they differ', () => {
    const headers = { 'x-amzn-bedrock-input-token-count': '999', 'x-amzn-bedrock-output-token-count': '999' };
    const result = extractFromBody('invoke', fixture.modelId, headers, fixture.body);
    expect(result).toMatchObject({ source: 'body', complete: true, usage: { inputTokens: 25, outputTokens: 42 } });
  });

  test('an incomplete body usage gives way to complete headers', () => {
    const body = { ...fixture.body, usage: { input_tokens: 25 } };
    const result = extractFromBody('invoke', fixture.modelId, fixture.headers, body);
    expect(result).toEqual({ source: 'headers', complete: true, usage: { inputTokens: 25, outputTokens: 42, cacheReadTokens: 1800, cacheWriteTokens: 2300 } });
  });

  test('an incomplete body usage with no headers is returned as such, not complete', () => {
    const body = { ...fixture.body, usage: { input_tokens: 25 } };
    expect(extractFromBody('invoke', fixture.modelId, {}, body)).toEqual({
      source: 'body',
      complete: false,
      usage: { inputTokens: 25, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
    });
  });

  test('an unknown family is counted by the headers', () => {
    const headers = { 'x-amzn-bedrock-input-token-count': '31', 'x-amzn-bedrock-output-token-count': '7' };
    expect(extractFromBody('invoke', UNKNOWN_MODEL, headers, { answer: 'forty-two' })).toEqual({
      source: 'headers',
      complete: true,
      usage: { inputTokens: 31, outputTokens: 7, cacheReadTokens: 0, cacheWriteTokens: 0 },
    });
  });

  test('headers with an input count only (embeddings) count no output', () => {
    const result = extractFromBody('invoke', UNKNOWN_MODEL, { 'x-amzn-bedrock-input-token-count': '6' }, { vector: [0.1] });
    expect(result).toEqual({ source: 'headers', complete: true, usage: { inputTokens: 6, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 } });
  });

  test('header values that are not counts are ignored', () => {
    const headers = { 'x-amzn-bedrock-input-token-count': 'lots', 'x-amzn-bedrock-output-token-count': '-3' };
    expect(extractFromBody('invoke', UNKNOWN_MODEL, headers, { answer: 1 })).toEqual(NONE);
  });

  test('a repeated header counts its first value', () => {
    const headers = { 'x-amzn-bedrock-input-token-count': ['4', '5'], 'x-amzn-bedrock-output-token-count': '2' };
    const extractor = createUsageExtractor('invoke', UNKNOWN_MODEL);
    extractor.observeHeaders(headers);
    expect(extractor.result().usage).toMatchObject({ inputTokens: 4, outputTokens: 2 });
  });

  test('an answer with no usage anywhere (an image model) counts nothing', () => {
    expect(extractFromBody('invoke', 'stability.sd3-5-large-v1:0', { 'content-type': 'image/png' }, Buffer.from([0x89, 0x50, 0x4e, 0x47]))).toEqual(NONE);
  });
});

describe('InvokeModelWithResponseStream: stream, then invocation metrics', () => {
  const fixture = loadFixture<InvokeStreamFixture>('anthropic-invoke-stream');

  test('complete stream usage wins over invocation metrics, keeping the TTL split they lack', () => {
    const result = extractFromFrames('invoke-with-response-stream', fixture.modelId, invokeStreamFrames(fixture.events));
    expect(result).toMatchObject({ source: 'stream', complete: true, usage: { cacheWrite5mTokens: 300, cacheWrite1hTokens: 2000 } });
  });

  test('without the final message_delta, the invocation metrics count the answer', () => {
    const events = fixture.events.filter((event) => event['type'] !== 'message_delta');
    const result = extractFromFrames('invoke-with-response-stream', fixture.modelId, invokeStreamFrames(events));
    expect(result).toEqual({
      source: 'invocation-metrics',
      complete: true,
      usage: { inputTokens: 25, outputTokens: 42, cacheReadTokens: 1800, cacheWriteTokens: 2300 },
    });
  });

  test('an unknown family is counted by the invocation metrics', () => {
    const events = [
      { token: 'forty' },
      { token: '-two' },
      { token: '', done: true, 'amazon-bedrock-invocationMetrics': { inputTokenCount: 31, outputTokenCount: 2, invocationLatency: 90, firstByteLatency: 40 } },
    ];
    expect(extractFromFrames('invoke-with-response-stream', UNKNOWN_MODEL, invokeStreamFrames(events))).toEqual({
      source: 'invocation-metrics',
      complete: true,
      usage: { inputTokens: 31, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0 },
    });
  });
});

describe('errors', () => {
  test('an error response counts nothing, whatever its body says', () => {
    const headers = { 'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/' };
    const body = { message: 'Too many requests, please wait before trying again.', usage: { input_tokens: 3, output_tokens: 4 } };
    expect(extractFromBody('invoke', 'anthropic.claude-3-haiku-20240307-v1:0', headers, body)).toEqual(NONE);
    expect(extractFromBody('converse', 'anthropic.claude-3-haiku-20240307-v1:0', headers, body)).toEqual(NONE);
  });

  test('an exception frame yields no usage; the frames before it still count, incomplete', () => {
    const fixture = loadFixture<InvokeStreamFixture>('anthropic-invoke-stream');
    const frames = [...invokeStreamFrames(fixture.events.slice(0, 4)), exceptionFrame()];
    expect(extractFromFrames('invoke-with-response-stream', fixture.modelId, frames)).toMatchObject({
      source: 'stream',
      complete: false,
      usage: { inputTokens: 25, outputTokens: 1 },
    });
    expect(extractFromFrames('invoke-with-response-stream', fixture.modelId, [exceptionFrame()])).toEqual(NONE);
    expect(extractFromFrames('converse-stream', fixture.modelId, [exceptionFrame()])).toEqual(NONE);
  });
});

describe('large bodies', () => {
  const headers = { 'x-amzn-bedrock-input-token-count': '4096', 'x-amzn-bedrock-output-token-count': '0' };
  const embeddings = Array.from({ length: LARGE_BODY_BYTES / 8 }, (_, index) => index / 7);
  const largeBody = Buffer.from(JSON.stringify({ embeddings, id: 'x', response_type: 'embeddings_floats', texts: ['a'] }), 'utf8');

  afterEach(() => jest.restoreAllMocks());

  test('are not parsed when the headers already count them', () => {
    expect(largeBody.length).toBeGreaterThan(LARGE_BODY_BYTES);
    const parse = jest.spyOn(JSON, 'parse');
    expect(extractFromBody('invoke', 'cohere.embed-english-v3', headers, largeBody)).toMatchObject({ source: 'headers', complete: true });
    expect(parse).not.toHaveBeenCalled();
  });

  test('are parsed when nothing else counts them', () => {
    const body = Buffer.from(JSON.stringify({ embedding: embeddings, inputTextTokenCount: 4096 }), 'utf8');
    expect(extractFromBody('invoke', 'amazon.titan-embed-text-v2:0', {}, body)).toMatchObject({ source: 'body', complete: true, usage: { inputTokens: 4096 } });
  });
});

describe('model ids that name no family: the family is recognized from the answer', () => {
  const PROFILE = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/x1y2z3a4b5c6';
  const fixtureNames = readdirSync(join(__dirname, '..', 'fixtures', 'usage'))
    .filter((file) => file.endsWith('-invoke.json') || file.endsWith('-invoke-stream.json'))
    .map((file) => file.replace(/\.json$/, ''));

  test.each(fixtureNames)('%s gives the same usage under an application inference profile', (name) => {
    if (name.endsWith('-stream')) {
      const fixture = loadFixture<InvokeStreamFixture>(name);
      const frames = invokeStreamFrames(fixture.events);
      expect(extractFromFrames('invoke-with-response-stream', PROFILE, frames)).toEqual(extractFromFrames('invoke-with-response-stream', fixture.modelId, frames));
    } else {
      const fixture = loadFixture<BodyFixture>(name);
      expect(extractFromBody('invoke', PROFILE, fixture.headers, fixture.body)).toEqual(extractFromBody('invoke', fixture.modelId, fixture.headers, fixture.body));
    }
  });
});
