/** The cost in USD of one call's tokens at given prices. */
import type { TokenUsage } from '../usage/types';
import type { TokenPrice, TokenPrices } from './types';

/** A kind of token priced on its own. */
export type TokenClass = keyof TokenPrices;

/** Significant digits kept in a cost: enough for any real price, few enough to drop binary rounding noise. */
const SIGNIFICANT_DIGITS = 15;

/**
 * The tokens of each class in `usage`, with their price. Cache writes go to the 1-hour price only when Bedrock reported
 * the split and a 1-hour price is known; otherwise every write is charged at the cache write (5-minute) price.
 */
function priced(usage: TokenUsage, prices: TokenPrices): readonly (readonly [TokenClass, number, TokenPrice | undefined])[] {
  const oneHour = prices.cacheWrite1h === undefined ? 0 : (usage.cacheWrite1hTokens ?? 0);
  return [
    ['input', usage.inputTokens, prices.input],
    ['output', usage.outputTokens, prices.output],
    ['cacheRead', usage.cacheReadTokens, prices.cacheRead],
    ['cacheWrite', Math.max(0, usage.cacheWriteTokens - oneHour), prices.cacheWrite],
    ['cacheWrite1h', oneHour, prices.cacheWrite1h],
  ];
}

/** The classes of tokens `usage` has some of but `prices` has no price for: why {@link costOf} is null. */
export function unpricedTokenClasses(usage: TokenUsage, prices: TokenPrices): TokenClass[] {
  return priced(usage, prices)
    .filter(([, tokens, price]) => tokens > 0 && price === undefined)
    .map(([name]) => name);
}

/**
 * The cost in USD of `usage` at `prices`: input × input price + output × output price + cache reads × cache read
 * price + cache writes × cache write price (1-hour writes at the 1-hour price when both their count and that price are
 * known).
 *
 * Null, meaning unknown, when there are no prices, or when some class of tokens the call used has no price: a cost
 * that left those tokens out would look known and be too low. A call with no tokens at known prices costs 0.
 */
export function costOf(usage: TokenUsage, prices: TokenPrices | undefined): number | null {
  if (!prices) return null;
  const promptTokens = usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
  let total = 0;
  for (const [, tokens, price] of priced(usage, prices)) {
    if (tokens === 0) continue;
    if (price === undefined) return null;
    total += tokens * rate(price, promptTokens);
  }
  // Each product and sum may be off by a unit in the last place (1_000_000 × 8e-7 gives 0.7999999999999999):
  // rounding to 15 significant digits gives back the exact decimal of decimal prices times whole token counts.
  return Number(total.toPrecision(SIGNIFICANT_DIGITS));
}

/** The per-token price of a call whose prompt has `promptTokens` tokens. */
function rate(price: TokenPrice, promptTokens: number): number {
  if (typeof price === 'number') return price;
  let current = price.base;
  for (const tier of price.tiers) if (promptTokens > tier.abovePromptTokens) current = tier.price;
  return current;
}
