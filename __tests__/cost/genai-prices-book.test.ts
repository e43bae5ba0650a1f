/**
 * The built-in price book against the data bundled in @pydantic/genai-prices 0.1.8 (pinned). Every expected price is
 * a figure of that data, per million tokens, read from provider `aws` (the model entry is named in each case):
 *   node -e "const p = require('@pydantic/genai-prices').findProvider({ providerId: 'aws' });
 *            console.log(JSON.stringify(p.models.find((m) => m.id === '<entry>')))"
 * or in node_modules/@pydantic/genai-prices/dist/index.cjs. Per-token prices are those divided by a million.
 */
import { createGenaiPricesBook } from '../../lib/cost';

const book = createGenaiPricesBook();

describe('createGenaiPricesBook: ids', () => {
  // Entry regional.anthropic.claude-3-5-sonnet-20240620-v1:0: input_mtok 3, output_mtok 15, cache_read_mtok 0.3,
  // cache_write_mtok 3.75; no 1-hour price.
  const claude35Sonnet = { input: 3e-6, output: 15e-6, cacheRead: 0.3e-6, cacheWrite: 3.75e-6, cacheWrite1h: undefined };

  it('prices a plain model id', () => {
    expect(book.prices('anthropic.claude-3-5-sonnet-20240620-v1:0', 'us-east-1')).toEqual(claude35Sonnet);
  });

  it('prices a model id with a context-window suffix', () => {
    expect(book.prices('anthropic.claude-3-5-sonnet-20240620-v1:0:200k', 'us-east-1')).toEqual(claude35Sonnet);
  });

  it('prices a cross-region inference profile like its model when the data has one price', () => {
    expect(book.prices('us.anthropic.claude-3-5-sonnet-20240620-v1:0', 'us-east-1')).toEqual(claude35Sonnet);
    expect(book.prices('eu.anthropic.claude-3-5-sonnet-20240620-v1:0', 'eu-central-1')).toEqual(claude35Sonnet);
  });

  it('prices ARNs of inference profiles and foundation models', () => {
    expect(book.prices('arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0', 'us-east-1')).toEqual(
      claude35Sonnet,
    );
    // Entry amazon.nova-lite-v1:0: input_mtok 0.06, cache_read_mtok 0.015, output_mtok 0.24.
    expect(book.prices('arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0', 'us-east-1')).toEqual({
      input: 0.06e-6,
      output: 0.24e-6,
      cacheRead: 0.015e-6,
      cacheWrite: undefined,
      cacheWrite1h: undefined,
    });
  });

  it('keeps the global and geographic prices apart', () => {
    // Entry global.anthropic.claude-sonnet-4-5-20250929-v1:0: input_mtok 3, output_mtok 15, cache_read_mtok 0.3, cache_write_mtok 3.75.
    expect(book.prices('global.anthropic.claude-sonnet-4-5-20250929-v1:0', 'us-east-1')).toEqual({
      input: 3e-6,
      output: 15e-6,
      cacheRead: 0.3e-6,
      cacheWrite: 3.75e-6,
      cacheWrite1h: undefined,
    });
    // Entry regional.anthropic.claude-sonnet-4-5-20250929-v1:0 (in-region and us./eu./jp./... profiles): input_mtok 3.3,
    // output_mtok 16.5, cache_read_mtok 0.33, cache_write_mtok 4.125.
    const geographic = { input: 3.3e-6, output: 16.5e-6, cacheRead: 0.33e-6, cacheWrite: 4.125e-6, cacheWrite1h: undefined };
    expect(book.prices('anthropic.claude-sonnet-4-5-20250929-v1:0', 'us-east-1')).toEqual(geographic);
    expect(book.prices('us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'us-east-1')).toEqual(geographic);
    expect(book.prices('eu.anthropic.claude-sonnet-4-5-20250929-v1:0', 'eu-west-1')).toEqual(geographic);
    // `ca.` is not among the entry's patterns: found again without the prefix, at the geographic price.
    expect(book.prices('ca.anthropic.claude-sonnet-4-5-20250929-v1:0', 'ca-central-1')).toEqual(geographic);
    // Entry global.anthropic.claude-haiku-4-5-20251001-v1:0: input_mtok 1; regional.…: input_mtok 1.1.
    expect(book.prices('global.anthropic.claude-haiku-4-5-20251001-v1:0', 'us-east-1')?.input).toBe(1e-6);
    expect(book.prices('us.anthropic.claude-haiku-4-5-20251001-v1:0', 'us-east-1')?.input).toBe(1.1e-6);
  });

  it('has no per-region prices: the region does not change them', () => {
    const id = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
    expect(book.prices(id, 'us-west-2')).toEqual(book.prices(id, 'us-east-1'));
    expect(book.prices(id, undefined)).toEqual(book.prices(id, 'us-east-1'));
  });

  it('knows no price for an application inference profile or provisioned throughput ARN', () => {
    expect(book.prices('arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6', 'us-east-1')).toBeUndefined();
    expect(book.prices('arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123def456', 'us-east-1')).toBeUndefined();
  });

  it('refuses a match on another major version (the data matches ids by substring)', () => {
    // Entry amazon.titan-embed-text-v1 (input_mtok 0.1) matches any id containing "amazon.titan-embed-text".
    expect(book.prices('amazon.titan-embed-text-v1', 'us-east-1')).toEqual({ input: 0.1e-6 });
    expect(book.prices('amazon.titan-embed-text-v1:2:8k', 'us-east-1')?.input).toBe(0.1e-6);
    expect(book.prices('amazon.titan-embed-text-v2:0', 'us-east-1')).toBeUndefined();
  });
});

describe('createGenaiPricesBook: prices', () => {
  it('reads per-million prices as the exact per-token decimals', () => {
    // Entry amazon.nova-pro-v1:0: input_mtok 0.8, output_mtok 3.2, cache_read_mtok 0.2 (0.8 / 1e6 would be 8.000000000000001e-7).
    expect(book.prices('amazon.nova-pro-v1:0', 'us-east-1')).toEqual({ input: 8e-7, output: 3.2e-6, cacheRead: 2e-7, cacheWrite: undefined, cacheWrite1h: undefined });
  });

  it('reads 1-hour cache write prices where the data has them', () => {
    // Entry regional.anthropic.claude-opus-5-5: cache_write_mtok 5.5, cache_write_1h_mtok 8.8; global.…: 5 and 8.
    expect(book.prices('us.anthropic.claude-opus-5-5', 'us-east-1')).toMatchObject({ cacheWrite: 5.5e-6, cacheWrite1h: 8.8e-6 });
    expect(book.prices('global.anthropic.claude-opus-5-5', 'us-east-1')).toMatchObject({ cacheWrite: 5e-6, cacheWrite1h: 8e-6 });
  });

  it('reads long-prompt tiers', () => {
    // Entry global.openai.gpt-5.6-luna: input_mtok {base 0.2, tiers [{start 271999, price 0.4}]}, output_mtok {base 1.2, … 1.8}.
    expect(book.prices('global.openai.gpt-5.6-luna', 'us-east-1')).toMatchObject({
      input: { base: 0.2e-6, tiers: [{ abovePromptTokens: 271999, price: 0.4e-6 }] },
      output: { base: 1.2e-6, tiers: [{ abovePromptTokens: 271999, price: 1.8e-6 }] },
    });
  });

  it('follows dated price changes as the clock moves', () => {
    // Entry global.openai.gpt-5.6-sol: input_mtok base 5, then base 4 from start_date 2026-08-21.
    let now = Date.parse('2026-08-20T12:00:00Z');
    const dated = createGenaiPricesBook({ clock: () => now });
    expect(dated.prices('global.openai.gpt-5.6-sol', 'us-east-1')?.input).toMatchObject({ base: 5e-6 });
    now = Date.parse('2026-08-21T00:00:00Z');
    expect(dated.prices('global.openai.gpt-5.6-sol', 'us-east-1')?.input).toMatchObject({ base: 4e-6 });
  });
});

describe('createGenaiPricesBook: the Bedrock catalogue', () => {
  // The per-million input and output prices of the data's entry for each id.
  it.each([
    ['anthropic.claude-3-haiku-20240307-v1:0', 0.25, 1.25],
    ['anthropic.claude-3-sonnet-20240229-v1:0', 3, 15],
    ['anthropic.claude-3-opus-20240229-v1:0', 15, 75],
    ['anthropic.claude-3-5-sonnet-20241022-v2:0', 3, 15],
    ['us.anthropic.claude-3-5-haiku-20241022-v1:0', 0.8, 4],
    ['us.anthropic.claude-3-7-sonnet-20250219-v1:0', 3, 15],
    ['us.anthropic.claude-sonnet-4-20250514-v1:0', 3, 15],
    ['global.anthropic.claude-sonnet-4-20250514-v1:0', 3, 15],
    ['us.anthropic.claude-opus-4-20250514-v1:0', 15, 75],
    ['us.anthropic.claude-opus-4-1-20250805-v1:0', 15, 75],
    ['us.anthropic.claude-opus-4-5-20251101-v1:0', 5.5, 27.5],
    ['global.anthropic.claude-opus-4-5-20251101-v1:0', 5, 25],
    ['amazon.nova-micro-v1:0', 0.035, 0.14],
    ['apac.amazon.nova-micro-v1:0', 0.035, 0.14],
    ['us.amazon.nova-lite-v1:0', 0.06, 0.24],
    ['eu.amazon.nova-pro-v1:0', 0.8, 3.2],
    ['us.amazon.nova-premier-v1:0', 2.5, 12.5],
    ['us.amazon.nova-2-lite-v1:0', 0.33, 2.75],
    ['global.amazon.nova-2-lite-v1:0', 0.3, 2.5],
    ['amazon.titan-text-express-v1', 0.2, 0.6],
    ['amazon.titan-text-lite-v1', 0.15, 0.2],
    ['meta.llama3-8b-instruct-v1:0', 0.3, 0.6],
    ['meta.llama3-70b-instruct-v1:0', 2.65, 3.5],
    ['meta.llama3-1-8b-instruct-v1:0', 0.22, 0.22],
    ['meta.llama3-1-70b-instruct-v1:0', 0.72, 0.72],
    ['us.meta.llama3-2-1b-instruct-v1:0', 0.1, 0.1],
    ['us.meta.llama3-2-11b-instruct-v1:0', 0.16, 0.16],
    ['us.meta.llama3-2-90b-instruct-v1:0', 0.72, 0.72],
    ['us.meta.llama3-3-70b-instruct-v1:0', 0.72, 0.72],
    ['us.meta.llama4-scout-17b-instruct-v1:0', 0.17, 0.66],
    ['us.meta.llama4-maverick-17b-instruct-v1:0', 0.24, 0.97],
    ['mistral.mistral-7b-instruct-v0:2', 0.15, 0.2],
    ['mistral.mixtral-8x7b-instruct-v0:1', 0.45, 0.7],
    ['mistral.mistral-large-2402-v1:0', 4, 12],
    ['mistral.mistral-small-2402-v1:0', 1, 3],
    ['us.mistral.pixtral-large-2502-v1:0', 2, 6],
    ['us.deepseek.r1-v1:0', 1.35, 5.4],
    ['openai.gpt-oss-120b-1:0', 0.15, 0.6],
    ['openai.gpt-oss-20b-1:0', 0.07, 0.3],
  ])('prices %s at %p / %p per million', (id, input, output) => {
    const prices = book.prices(id, 'us-east-1');
    expect(typeof prices?.input === 'number' && prices.input * 1e6).toBeCloseTo(input, 12);
    expect(typeof prices?.output === 'number' && prices.output * 1e6).toBeCloseTo(output, 12);
  });

  // Not in the bundled data: these cost null unless a deployment sets its prices.
  it.each([
    'amazon.titan-text-premier-v1:0',
    'amazon.titan-embed-text-v2:0',
    'amazon.titan-embed-image-v1',
    'amazon.nova-2-lite-v1:0',
    'meta.llama3-1-405b-instruct-v1:0',
    'mistral.mistral-large-2407-v1:0',
    'cohere.command-r-v1:0',
    'cohere.command-r-plus-v1:0',
    'cohere.embed-english-v3',
    'cohere.embed-multilingual-v3',
    'cohere.embed-v4:0',
    'ai21.jamba-1-5-large-v1:0',
    'ai21.jamba-1-5-mini-v1:0',
    'deepseek.v3-v1:0',
  ])('knows no price for %s', (id) => {
    expect(book.prices(id, 'us-east-1')).toBeUndefined();
  });
});
