/** The public surface: one extractor per operation, and the token total the per-minute limits count. */
import { OPERATIONS } from '../../lib/operations';
import { createUsageExtractor, totalTokens } from '../../lib/usage/extractor';
import { loadFixture, type BodyFixture } from './helpers';

const INVOCATIONS = ['invoke', 'invoke-with-response-stream', 'converse', 'converse-stream'] as const;

test.each(INVOCATIONS)('%s: a fresh extractor has seen nothing yet', (operation) => {
  expect(createUsageExtractor(operation, 'anthropic.claude-3-haiku-20240307-v1:0').result()).toEqual({ usage: undefined, source: 'none', complete: false });
});

test.each(OPERATIONS.filter((operation) => !(INVOCATIONS as readonly string[]).includes(operation)))(
  '%s: its answers report no tokens to charge, so the extractor reads none and misses none',
  (operation) => {
    const extractor = createUsageExtractor(operation, 'anthropic.claude-3-haiku-20240307-v1:0');
    extractor.observeHeaders({ 'x-amzn-bedrock-input-token-count': '12' });
    extractor.observeBody(Buffer.from('{"inputTokens":12,"usage":{"inputTokens":12,"outputTokens":3}}'));
    expect(extractor.result()).toEqual({ usage: undefined, source: 'none', complete: true });
  },
);

test('an InvokeModel extractor reads the model family format, a Converse one the Converse format', () => {
  const invoke = loadFixture<BodyFixture>('anthropic-invoke');
  const converse = createUsageExtractor('converse', invoke.modelId);
  converse.observeBody(Buffer.from(JSON.stringify(invoke.body)));
  expect(converse.result()).toEqual({ usage: undefined, source: 'none', complete: false });
});

describe('totalTokens', () => {
  test('adds input, output, cache reads and cache writes', () => {
    expect(totalTokens({ inputTokens: 25, outputTokens: 42, cacheReadTokens: 1800, cacheWriteTokens: 2300, cacheWrite5mTokens: 300, cacheWrite1hTokens: 2000 })).toBe(4167);
  });

  test('is 0 when the usage is unknown', () => {
    expect(totalTokens(undefined)).toBe(0);
  });
});
