/** Malformed payloads count as unknown: nothing throws, and good frames still count. */
import fc from 'fast-check';
import { encodeEventFrame } from '../../lib/aws/bedrock-frames';
import { encodeEventStreamMessage } from '../../lib/aws/eventstream';
import { MODEL_OPERATIONS } from '../../lib/operations';
import { createUsageExtractor } from '../../lib/usage/extractor';
import { chunkFrameBytes, decodeFrames, extractFromBody, extractFromFrames, invokeStreamFrames, loadFixture, type InvokeStreamFixture } from './helpers';

const NONE = { usage: undefined, source: 'none', complete: false };

function rawChunkFrame(body: Buffer) {
  return decodeFrames(
    encodeEventStreamMessage({
      headers: {
        ':event-type': { type: 'string', value: 'chunk' },
        ':content-type': { type: 'string', value: 'application/json' },
        ':message-type': { type: 'string', value: 'event' },
      },
      body,
    }),
  );
}

describe('InvokeModel bodies', () => {
  test.each([
    ['not JSON', Buffer.from('<html>502 Bad Gateway</html>')],
    ['truncated JSON', Buffer.from('{"usage": {"input_tokens": 3')],
    ['a JSON array', Buffer.from('[1, 2, 3]')],
    ['empty', Buffer.alloc(0)],
    ['usage of the wrong type', Buffer.from('{"type": "message", "usage": "lots"}')],
    ['counts that are not counts', Buffer.from('{"type": "message", "usage": {"input_tokens": "3", "output_tokens": -1}}')],
  ])('%s: no usage', (_, body) => {
    expect(extractFromBody('invoke', 'anthropic.claude-3-haiku-20240307-v1:0', {}, body)).toEqual(NONE);
  });

  test('a malformed body still leaves the headers to count the answer', () => {
    const headers = { 'x-amzn-bedrock-input-token-count': '3', 'x-amzn-bedrock-output-token-count': '4' };
    expect(extractFromBody('invoke', 'meta.llama3-8b-instruct-v1:0', headers, Buffer.from('{"generation": '))).toMatchObject({ source: 'headers', complete: true });
  });

  test('Converse: a body without a usable usage counts nothing', () => {
    expect(extractFromBody('converse', 'amazon.nova-lite-v1:0', {}, { usage: [1, 2] })).toEqual(NONE);
  });
});

describe('stream payloads', () => {
  const fixture = loadFixture<InvokeStreamFixture>('anthropic-invoke-stream');

  test.each([
    ['an envelope that is not JSON', Buffer.from('not json')],
    ['an envelope without bytes', Buffer.from('{"p": "abc"}')],
    ['bytes that are not a string', Buffer.from('{"bytes": 42}')],
    ['bytes that decode to no JSON', Buffer.from(JSON.stringify({ bytes: Buffer.from('\u0000\u0001garbage').toString('base64') }))],
    ['bytes that are not base64 at all', Buffer.from('{"bytes": "%%% not base64 %%%"}')],
  ])('%s: counts as unknown, and the good chunks still count', (_, body) => {
    const good = invokeStreamFrames(fixture.events);
    const middleAndEnd = [...good.slice(0, 3), ...rawChunkFrame(body), ...good.slice(3), ...rawChunkFrame(body)];
    expect(extractFromFrames('invoke-with-response-stream', fixture.modelId, middleAndEnd)).toMatchObject({
      source: 'stream',
      complete: true,
      usage: { inputTokens: 25, outputTokens: 42 },
    });
    // In place of message_start, it takes the input count with it: Bedrock's metrics count the answer instead.
    const first = [...rawChunkFrame(body), ...good.slice(1)];
    expect(extractFromFrames('invoke-with-response-stream', fixture.modelId, first)).toMatchObject({
      source: 'invocation-metrics',
      complete: true,
      usage: { inputTokens: 25, outputTokens: 42 },
    });
  });

  test('invocation metrics of the wrong shape are ignored', () => {
    const frames = decodeFrames(Buffer.concat([chunkFrameBytes({ token: 'x' }), chunkFrameBytes({ 'amazon-bedrock-invocationMetrics': [25, 42] })]));
    expect(extractFromFrames('invoke-with-response-stream', 'acme.unknown-v1', frames)).toEqual(NONE);
  });

  test('a ConverseStream metadata event that is not JSON counts nothing', () => {
    const frames = decodeFrames(encodeEventFrame('metadata', 'usage: lots'));
    expect(extractFromFrames('converse-stream', 'amazon.nova-lite-v1:0', frames)).toEqual(NONE);
  });
});

describe('property: any frames, any body, any operation', () => {
  const modelIds = ['anthropic.claude-3-haiku-20240307-v1:0', 'meta.llama3-8b-instruct-v1:0', 'amazon.titan-text-lite-v1', 'acme.unknown-v1'];
  const payload = fc.oneof(
    fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
    fc.jsonValue().map((value) => Buffer.from(JSON.stringify(value) ?? 'null')),
    fc.jsonValue().map((value) => Buffer.from(JSON.stringify({ bytes: Buffer.from(JSON.stringify(value) ?? '').toString('base64'), p: 'ab' }))),
  );
  const frame = fc
    .record({ eventType: fc.constantFrom('chunk', 'metadata', 'contentBlockDelta'), body: payload })
    .map(({ eventType, body }) =>
      encodeEventStreamMessage({
        headers: { ':event-type': { type: 'string', value: eventType }, ':message-type': { type: 'string', value: 'event' } },
        body,
      }),
    );

  test('result() never throws and reports only finite, non-negative counts', () => {
    fc.assert(
      fc.property(fc.constantFrom(...MODEL_OPERATIONS), fc.constantFrom(...modelIds), fc.array(frame, { maxLength: 8 }), payload, (operation, modelId, frames, body) => {
        const extractor = createUsageExtractor(operation, modelId);
        extractor.observeHeaders({});
        extractor.observeBody(body);
        for (const decoded of decodeFrames(Buffer.concat(frames))) extractor.observeFrame(decoded);
        const { usage } = extractor.result();
        for (const count of Object.values(usage ?? {})) {
          expect(Number.isFinite(count)).toBe(true);
          expect(count).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });
});
