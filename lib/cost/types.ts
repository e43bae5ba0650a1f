/**
 * Prices as the cost code sees them, whatever their source: USD per token, by token class. Our own types, so that the
 * price source (today `@pydantic/genai-prices`) can change without touching the code that computes costs.
 */

/**
 * A price that rises with the length of the prompt, as some models are priced: `base` per token, or the price of the
 * last tier whose `abovePromptTokens` the call's prompt (input plus cache reads and writes) exceeds. The price applies
 * to every token of its class in that call, not only to those above the threshold.
 */
export interface TieredTokenPrice {
  readonly base: number;
  /** In ascending order of `abovePromptTokens`. */
  readonly tiers: readonly { readonly abovePromptTokens: number; readonly price: number }[];
}

/** USD per token: one figure, or one that depends on the prompt's length. */
export type TokenPrice = number | TieredTokenPrice;

/** The per-token prices of one model; a class the source does not price is undefined. */
export interface TokenPrices {
  readonly input?: TokenPrice | undefined;
  readonly output?: TokenPrice | undefined;
  readonly cacheRead?: TokenPrice | undefined;
  /** Writes to the prompt cache with the default (5-minute) lifetime; also all writes when no 1-hour price is known. */
  readonly cacheWrite?: TokenPrice | undefined;
  /** Writes to the prompt cache with a 1-hour lifetime, when the source prices them apart. */
  readonly cacheWrite1h?: TokenPrice | undefined;
}

/** Where prices come from. */
export interface PriceBook {
  /**
   * The prices of the model a call goes to, or undefined when the book does not know it.
   *
   * @param modelId The model id as the gateway sends it upstream: a Bedrock model id
   *   (`anthropic.claude-3-5-sonnet-20240620-v1:0`), a cross-region inference profile id (`us.…`, `global.…`), or an
   *   ARN of either (`arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.…`). An ARN that names no
   *   model (an application inference profile, provisioned throughput) has no price.
   * @param region The AWS region the call goes to, for books whose prices differ by region.
   */
  prices(modelId: string, region: string | undefined): TokenPrices | undefined;
}
