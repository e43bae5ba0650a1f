/** Each model family's InvokeModel body and InvokeModelWithResponseStream usage, from the fixtures of its documented format. */
import type { TokenUsage, UsageSource } from '../../lib/usage/types';
import {
  extractFromBody,
  extractFromFrames,
  invokeStreamFrames,
  loadFixture,
  type BodyFixture,
  type InvokeStreamFixture,
} from './helpers';

function tokens(inputTokens: number, outputTokens: number, cacheReadTokens = 0, cacheWriteTokens = 0): TokenUsage {
  return { inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens };
}

const ANTHROPIC_WITH_CACHE: TokenUsage = { ...tokens(25, 42, 1800, 2300), cacheWrite5mTokens: 300, cacheWrite1hTokens: 2000 };

describe('InvokeModel bodies', () => {
  const cases: ReadonlyArray<readonly [fixture: string, usage: TokenUsage, source: UsageSource]> = [
    ['anthropic-invoke', ANTHROPIC_WITH_CACHE, 'body'],
    ['nova-invoke', tokens(120, 48, 1000, 0), 'body'],
    ['titan-text-invoke', tokens(8, 35), 'body'],
    ['titan-embed-invoke', tokens(7, 0), 'body'],
    ['llama-invoke', tokens(24, 51), 'body'],
    ['cohere-command-r-invoke', tokens(12, 9), 'body'],
    ['jamba-invoke', tokens(20, 31), 'body'],
    ['gpt-oss-invoke', tokens(86, 140), 'body'],
    // These bodies carry no usage: Bedrock's headers count them.
    ['mistral-invoke', tokens(19, 27), 'headers'],
    ['deepseek-r1-invoke', tokens(15, 212), 'headers'],
    ['cohere-embed-invoke', tokens(11, 0), 'headers'],
  ];

  test.each(cases)('%s', (name, usage, source) => {
    const fixture = loadFixture<BodyFixture>(name);
    expect(extractFromBody('invoke', fixture.modelId, fixture.headers, fixture.body)).toEqual({ usage, source, complete: true });
  });

  test('a body read on its own, without the headers, gives the same counts', () => {
    const fixture = loadFixture<BodyFixture>('anthropic-invoke');
    expect(extractFromBody('invoke', fixture.modelId, {}, fixture.body)).toEqual({ usage: ANTHROPIC_WITH_CACHE, source: 'body', complete: true });
  });
});

describe('InvokeModelWithResponseStream streams', () => {
  const cases: ReadonlyArray<readonly [fixture: string, usage: TokenUsage, source: UsageSource]> = [
    ['anthropic-invoke-stream', ANTHROPIC_WITH_CACHE, 'stream'],
    ['nova-invoke-stream', tokens(120, 48, 1000, 64), 'stream'],
    ['titan-text-invoke-stream', tokens(8, 37), 'stream'],
    ['llama-invoke-stream', tokens(24, 16), 'stream'],
    ['cohere-command-r-invoke-stream', tokens(12, 9), 'stream'],
    ['jamba-invoke-stream', tokens(20, 8), 'stream'],
    ['gpt-oss-invoke-stream', tokens(86, 140), 'stream'],
    // These streams carry no usage of their own: the last chunk's invocation metrics count them.
    ['mistral-invoke-stream', tokens(17, 9), 'invocation-metrics'],
    ['deepseek-r1-invoke-stream', tokens(15, 212), 'invocation-metrics'],
  ];

  test.each(cases)('%s', (name, usage, source) => {
    const fixture = loadFixture<InvokeStreamFixture>(name);
    const result = extractFromFrames('invoke-with-response-stream', fixture.modelId, invokeStreamFrames(fixture.events));
    expect(result).toEqual({ usage, source, complete: true });
  });
});

describe('details of the family formats', () => {
  test('Anthropic: message_delta may restate input and cache counts (newer API versions); the later counts win', () => {
    const fixture = loadFixture<InvokeStreamFixture>('anthropic-invoke-stream');
    const events = fixture.events.map((event) =>
      event['type'] === 'message_delta' ? { ...event, usage: { input_tokens: 30, cache_read_input_tokens: 1800, output_tokens: 42 } } : event,
    );
    const result = extractFromFrames('invoke-with-response-stream', fixture.modelId, invokeStreamFrames(events));
    expect(result.usage).toEqual({ ...ANTHROPIC_WITH_CACHE, inputTokens: 30 });
  });

  test('Anthropic: a cache write without the TTL split counts as written, split unknown', () => {
    const fixture = loadFixture<BodyFixture>('anthropic-invoke');
    const usage = { input_tokens: 5, output_tokens: 7, cache_creation_input_tokens: 90, cache_read_input_tokens: 0 };
    const result = extractFromBody('invoke', fixture.modelId, {}, { ...fixture.body, usage });
    expect(result.usage).toEqual(tokens(5, 7, 0, 90));
  });

  test('Cohere Embed: meta.billed_units.input_tokens is read when the body has it (input only)', () => {
    const fixture = loadFixture<BodyFixture>('cohere-embed-invoke');
    const body = { ...fixture.body, meta: { api_version: { version: '1' }, billed_units: { input_tokens: 11 } } };
    expect(extractFromBody('invoke', fixture.modelId, {}, body)).toEqual({ usage: tokens(11, 0), source: 'body', complete: true });
  });

  test('OpenAI-style usage: cached prompt tokens are cache reads, not input', () => {
    const fixture = loadFixture<BodyFixture>('gpt-oss-invoke');
    const usage = { prompt_tokens: 1086, completion_tokens: 140, total_tokens: 1226, prompt_tokens_details: { cached_tokens: 1000 } };
    expect(extractFromBody('invoke', fixture.modelId, {}, { ...fixture.body, usage }).usage).toEqual(tokens(86, 140, 1000, 0));
  });

  test('Titan Text: results of several generations add up', () => {
    const fixture = loadFixture<BodyFixture>('titan-text-invoke');
    const body = { inputTextTokenCount: 8, results: [{ tokenCount: 10, outputText: 'a' }, { tokenCount: 5, outputText: 'b' }] };
    expect(extractFromBody('invoke', fixture.modelId, {}, body).usage).toEqual(tokens(8, 15));
  });
});
