import fc from 'fast-check';
import { costOf, unpricedTokenClasses, type TokenPrices } from '../../lib/cost';
import type { TokenUsage } from '../../lib/usage/types';

const none: TokenUsage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
const usage = (counts: Partial<TokenUsage>): TokenUsage => ({ ...none, ...counts });

// Claude Sonnet 4.5 in a geography, with a 1-hour cache write price added (twice the input price).
const sonnet: TokenPrices = { input: 3.3e-6, output: 16.5e-6, cacheRead: 0.33e-6, cacheWrite: 4.125e-6, cacheWrite1h: 6.6e-6 };

describe('costOf', () => {
  it('adds each class of tokens at its price', () => {
    const cost = costOf(usage({ inputTokens: 1000, outputTokens: 200, cacheReadTokens: 5000, cacheWriteTokens: 300 }), sonnet);
    // 1000 × 3.3e-6 + 200 × 16.5e-6 + 5000 × 0.33e-6 + 300 × 4.125e-6 = 0.0033 + 0.0033 + 0.00165 + 0.0012375
    expect(cost).toBe(0.0094875);
  });

  it('charges 1-hour cache writes at the 1-hour price when the split and the price are known', () => {
    const split = usage({ cacheWriteTokens: 1000, cacheWrite5mTokens: 400, cacheWrite1hTokens: 600 });
    // 400 × 4.125e-6 + 600 × 6.6e-6 = 0.00165 + 0.00396
    expect(costOf(split, sonnet)).toBe(0.00561);
  });

  it('charges every cache write at the 5-minute price without the split or without a 1-hour price', () => {
    const unsplit = usage({ cacheWriteTokens: 1000 });
    expect(costOf(unsplit, sonnet)).toBe(0.004125);
    const split = usage({ cacheWriteTokens: 1000, cacheWrite5mTokens: 400, cacheWrite1hTokens: 600 });
    expect(costOf(split, { ...sonnet, cacheWrite1h: undefined })).toBe(0.004125);
  });

  it('prices 1-hour writes alone when there is no 5-minute price but no 5-minute write either', () => {
    const oneHourOnly = usage({ cacheWriteTokens: 600, cacheWrite5mTokens: 0, cacheWrite1hTokens: 600 });
    expect(costOf(oneHourOnly, { ...sonnet, cacheWrite: undefined })).toBe(0.00396);
  });

  it('is null without prices, whatever the usage', () => {
    expect(costOf(usage({ inputTokens: 10 }), undefined)).toBeNull();
    expect(costOf(none, undefined)).toBeNull();
  });

  it('is null when tokens of some class have no price, rather than leaving them out', () => {
    // Nova Lite's source prices have no cache write price.
    const novaLite: TokenPrices = { input: 0.06e-6, output: 0.24e-6, cacheRead: 0.015e-6 };
    expect(costOf(usage({ inputTokens: 100, outputTokens: 10, cacheWriteTokens: 50 }), novaLite)).toBeNull();
    // An embedding model priced for input only, asked for output.
    expect(costOf(usage({ inputTokens: 100, outputTokens: 1 }), { input: 0.1e-6 })).toBeNull();
  });

  it('needs no price for a class the call has no tokens of', () => {
    expect(costOf(usage({ inputTokens: 1000 }), { input: 0.1e-6 })).toBe(0.0001);
    expect(costOf(none, { input: 0.1e-6 })).toBe(0);
  });

  it('applies the tier the prompt reaches, counting cached tokens in the prompt, to all tokens of the call', () => {
    const tiered: TokenPrices = {
      input: { base: 0.2e-6, tiers: [{ abovePromptTokens: 271999, price: 0.4e-6 }] },
      output: { base: 1.2e-6, tiers: [{ abovePromptTokens: 271999, price: 1.8e-6 }] },
      cacheRead: 0.02e-6,
    };
    expect(costOf(usage({ inputTokens: 271999, outputTokens: 1000 }), tiered)).toBe(0.0555998); // 271999 × 0.2e-6 + 1000 × 1.2e-6
    // 100001 + 171999 reads = 272000 prompt tokens, above the threshold: 100001 × 0.4e-6 + 171999 × 0.02e-6 + 1000 × 1.8e-6.
    expect(costOf(usage({ inputTokens: 100001, cacheReadTokens: 171999, outputTokens: 1000 }), tiered)).toBe(0.04524038);
  });
});

describe('costOf: floating point', () => {
  it('gives exact decimals where the naive sum shows binary noise', () => {
    expect(1_000_000 * 8e-7).not.toBe(0.8);
    expect(costOf(usage({ inputTokens: 1_000_000 }), { input: 8e-7 })).toBe(0.8);
    const millions = usage({ inputTokens: 12_345_678, outputTokens: 3_456_789, cacheReadTokens: 98_765_432, cacheWriteTokens: 7_654_321 });
    // 40.7407374 + 57.0370185 + 32.59259256 + 31.574074125
    expect(costOf(millions, sonnet)).toBe(161.944422585);
  });

  type Term = [tokens: number, price: number];

  /**
   * The cost of input, output, cache read and cache write `terms`, each a token count and a whole number of
   * `10^exponent` USD per token; and the exact decimal cost, computed in integers.
   */
  function costs(terms: readonly Term[], exponent: number): { actual: number | null; exact: number } {
    const [input = [0, 0], output = [0, 0], read = [0, 0], write = [0, 0]] = terms;
    const price = ([, units]: Term) => Number(`${units}e${exponent}`);
    const actual = costOf(
      usage({ inputTokens: input[0], outputTokens: output[0], cacheReadTokens: read[0], cacheWriteTokens: write[0] }),
      { input: price(input), output: price(output), cacheRead: price(read), cacheWrite: price(write) },
    );
    const exact = terms.reduce((sum, [tokens, units]) => sum + BigInt(tokens) * BigInt(units), 0n);
    return { actual, exact: Number(`${exact}e${exponent}`) };
  }
  const terms = (tokens: fc.Arbitrary<number>, price: fc.Arbitrary<number>) => fc.array(fc.tuple(tokens, price), { minLength: 4, maxLength: 4 });

  it('is the exact decimal for up to ten million tokens a class at prices of up to four decimals per million', () => {
    // Prices up to $1000 per million tokens in steps of $0.0001 per million: 1e-10 USD per token.
    fc.assert(
      fc.property(terms(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 10_000_000 })), (t) => {
        const { actual, exact } = costs(t, -10);
        expect(actual).toBe(exact);
      }),
      { numRuns: 2000 },
    );
  });

  it('stays within 15 significant digits of the exact cost for any counts and prices', () => {
    // Up to a billion tokens a class; prices up to $100 per million in steps of a millionth of a dollar: 1e-12 USD per token.
    fc.assert(
      fc.property(terms(fc.integer({ min: 0, max: 1_000_000_000 }), fc.integer({ min: 0, max: 100_000_000 })), (t) => {
        const { actual, exact } = costs(t, -12);
        // Half a unit of the 15th digit (5e-15 of a value starting with 1), plus the sum's own float error.
        expect(Math.abs((actual ?? NaN) - exact)).toBeLessThanOrEqual(6e-15 * exact);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('unpricedTokenClasses', () => {
  it('lists the classes with tokens and no price', () => {
    const u = usage({ inputTokens: 1, outputTokens: 1, cacheReadTokens: 1, cacheWriteTokens: 1 });
    expect(unpricedTokenClasses(u, { input: 1e-6, output: 1e-6 })).toEqual(['cacheRead', 'cacheWrite']);
    expect(unpricedTokenClasses(u, sonnet)).toEqual([]);
    expect(unpricedTokenClasses(usage({ cacheWriteTokens: 5, cacheWrite1hTokens: 5 }), { cacheWrite1h: 1e-6 })).toEqual([]);
  });
});
