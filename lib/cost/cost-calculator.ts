/** The cost of a call to a deployment, with a warning the first time a model's cost cannot be known. */
import type { TokenUsage } from '../usage/types';
import type { Logger } from '../types';
import { costOf, unpricedTokenClasses } from './cost-of';
import { createGenaiPricesBook } from './genai-prices-book';
import { pricesForDeployment, type PricedDeployment } from './overrides';
import type { PriceBook, TokenPrices } from './types';

/** Distinct warnings remembered. Raw model ids come from clients: the memory of what was said must stay bounded. */
const MAX_WARNINGS = 1000;

/** Options of {@link createCostCalculator}. */
export interface CostCalculatorOptions {
  /** Receives one warning per model (and set of unpriced token classes) whose cost is unknown. */
  readonly logger: Logger;
  /** Default: the Bedrock prices bundled in `@pydantic/genai-prices`. */
  readonly priceBook?: PriceBook | undefined;
}

/** Prices calls. */
export interface CostCalculator {
  /** The cost in USD of `usage` on `deployment`, or null when it cannot be known (see {@link costOf}). */
  cost(deployment: PricedDeployment, usage: TokenUsage): number | null;
}

/**
 * A {@link CostCalculator} over a price book and each deployment's `model_info` prices.
 *
 * A null cost is logged as a warning once per model id and set of unpriced token classes for the life of the
 * calculator (the gateway makes one), not on every call: the fix, a price in `model_info`, is the same every time.
 */
export function createCostCalculator(options: CostCalculatorOptions): CostCalculator {
  const { logger } = options;
  const book = options.priceBook ?? createGenaiPricesBook();
  const warned = new Set<string>();

  function warnOnce(modelId: string, usage: TokenUsage, prices: TokenPrices | undefined): void {
    const unpriced = prices && unpricedTokenClasses(usage, prices);
    const key = `${modelId}\n${unpriced?.join(',') ?? '*'}`;
    if (warned.has(key) || warned.size > MAX_WARNINGS) return;
    warned.add(key);
    if (warned.size > MAX_WARNINGS) {
      logger.warn({ limit: MAX_WARNINGS }, 'too many models without prices: no more warnings about unknown costs');
    } else if (unpriced) {
      logger.warn({ modelId, unpriced }, 'some tokens of this model have no price: its cost is unknown; set them in model_info');
    } else {
      logger.warn({ modelId }, 'no price known for this model: its cost is unknown; set its prices in model_info');
    }
  }

  return {
    cost(deployment, usage) {
      const prices = pricesForDeployment(book, deployment);
      const cost = costOf(usage, prices);
      if (cost === null) warnOnce(deployment.modelId, usage, prices);
      return cost;
    },
  };
}
