import { createGenaiPricesBook, pricesForDeployment, withOverrides, type PriceBook, type TokenPrices } from '../../lib/cost';

const source: TokenPrices = { input: 3e-6, output: 15e-6, cacheRead: 0.3e-6, cacheWrite: 3.75e-6, cacheWrite1h: 6e-6 };

describe('withOverrides', () => {
  it('keeps the source when the deployment sets no price', () => {
    expect(withOverrides(source, undefined)).toBe(source);
    expect(withOverrides(source, { id: 'east' })).toEqual(source);
  });

  it('replaces only the prices the deployment sets, field by field', () => {
    expect(withOverrides(source, { input_cost_per_token: 2.5e-6 })).toEqual({ ...source, input: 2.5e-6 });
    expect(withOverrides(source, { output_cost_per_token: 10e-6 })).toEqual({ ...source, output: 10e-6 });
    expect(withOverrides(source, { cache_read_input_token_cost: 0.25e-6 })).toEqual({ ...source, cacheRead: 0.25e-6 });
    expect(withOverrides(source, { cache_creation_input_token_cost: 3e-6 })).toEqual({ ...source, cacheWrite: 3e-6 });
  });

  it('takes a price of 0 as a price, not as unset', () => {
    expect(withOverrides(source, { cache_creation_input_token_cost: 0 })).toEqual({ ...source, cacheWrite: 0 });
  });

  it('replaces a tiered source price by the flat price of the deployment', () => {
    const tiered: TokenPrices = { input: { base: 2e-6, tiers: [{ abovePromptTokens: 200_000, price: 4e-6 }] } };
    expect(withOverrides(tiered, { input_cost_per_token: 1e-6 })).toEqual({ input: 1e-6 });
  });

  it('prices a model the source does not know from the deployment alone', () => {
    expect(withOverrides(undefined, { input_cost_per_token: 1e-6 })).toEqual({ input: 1e-6 });
    expect(withOverrides(undefined, { id: 'x' })).toBeUndefined();
    expect(withOverrides(undefined, undefined)).toBeUndefined();
  });
});

describe('pricesForDeployment', () => {
  const book = createGenaiPricesBook();

  it('asks the book for the model and region, then lays the deployment prices over', () => {
    const asked: [string, string | undefined][] = [];
    const recording: PriceBook = {
      prices: (modelId, region) => {
        asked.push([modelId, region]);
        return source;
      },
    };
    const deployment = { modelId: 'us.anthropic.claude-x', region: 'us-west-2', modelInfo: { output_cost_per_token: 1e-5 } };
    expect(pricesForDeployment(recording, deployment)).toEqual({ ...source, output: 1e-5 });
    expect(asked).toEqual([['us.anthropic.claude-x', 'us-west-2']]);
  });

  it('overrides the bundled prices field by field', () => {
    // genai-prices 0.1.8, entry regional.anthropic.claude-3-5-sonnet-20240620-v1:0: 3 / 15 / 0.3 / 3.75 per million.
    const deployment = { modelId: 'us.anthropic.claude-3-5-sonnet-20240620-v1:0', region: 'us-east-1', modelInfo: { input_cost_per_token: 2.7e-6 } };
    expect(pricesForDeployment(book, deployment)).toEqual({ input: 2.7e-6, output: 15e-6, cacheRead: 0.3e-6, cacheWrite: 3.75e-6, cacheWrite1h: undefined });
  });

  it('has no prices for an application inference profile without model_info prices, and the deployment ones with', () => {
    const modelId = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6';
    expect(pricesForDeployment(book, { modelId, region: 'us-east-1' })).toBeUndefined();
    expect(pricesForDeployment(book, { modelId, region: 'us-east-1', modelInfo: { input_cost_per_token: 3e-6, output_cost_per_token: 15e-6 } })).toEqual({
      input: 3e-6,
      output: 15e-6,
      cacheRead: undefined,
      cacheWrite: undefined,
      cacheWrite1h: undefined,
    });
  });
});
