/** Prices and the cost of calls: the folder's public surface. */
export type { PriceBook, TieredTokenPrice, TokenPrice, TokenPrices } from './types';
export { createGenaiPricesBook, type GenaiPricesBookOptions } from './genai-prices-book';
export { pricesForDeployment, withOverrides, type PricedDeployment } from './overrides';
export { costOf, unpricedTokenClasses, type TokenClass } from './cost-of';
export { createCostCalculator, type CostCalculator, type CostCalculatorOptions } from './cost-calculator';
