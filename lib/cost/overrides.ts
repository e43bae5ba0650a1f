/** A deployment's own prices (LiteLLM's `model_info`) laid over those of the price book. */
import type { ModelInfo } from '../config/types';
import type { PriceBook, TokenPrices } from './types';

/** What identifies a deployment's prices: the model id it sends upstream, its region, its `model_info`. */
export interface PricedDeployment {
  /** As sent upstream: a model id, an inference profile id, or an ARN. */
  readonly modelId: string;
  readonly region?: string | undefined;
  readonly modelInfo?: ModelInfo | undefined;
}

/**
 * `source` with each price that `modelInfo` sets put in its place, field by field: a deployment that sets only
 * `input_cost_per_token` keeps the source's other prices. Undefined when neither knows any price.
 *
 * `cache_creation_input_token_cost` replaces the (5-minute) cache write price; a 1-hour price from the source is kept.
 */
export function withOverrides(source: TokenPrices | undefined, modelInfo: ModelInfo | undefined): TokenPrices | undefined {
  if (!modelInfo) return source;
  const prices: TokenPrices = {
    input: modelInfo.input_cost_per_token ?? source?.input,
    output: modelInfo.output_cost_per_token ?? source?.output,
    cacheRead: modelInfo.cache_read_input_token_cost ?? source?.cacheRead,
    cacheWrite: modelInfo.cache_creation_input_token_cost ?? source?.cacheWrite,
    cacheWrite1h: source?.cacheWrite1h,
  };
  return Object.values(prices).some((price) => price !== undefined) ? prices : undefined;
}

/** The prices a deployment's calls are charged at: its `model_info` prices, else the book's. */
export function pricesForDeployment(book: PriceBook, deployment: PricedDeployment): TokenPrices | undefined {
  return withOverrides(book.prices(deployment.modelId, deployment.region), deployment.modelInfo);
}
