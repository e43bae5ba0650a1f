/**
 * The built-in {@link PriceBook}: the AWS Bedrock prices bundled in `@pydantic/genai-prices` (pinned in
 * package.json; see docs/costs.md for how to update it).
 *
 * Never on the network: the package's `calcPrice` only reads the data bundled in its module. Its one remote source,
 * `updatePrices`, is never called here (a host that calls it itself changes the data this book reads).
 */
import type * as GenaiPrices from '@pydantic/genai-prices';
import { modelIdOf, withoutProfilePrefix } from './model-id';
import type { PriceBook, TokenPrice, TokenPrices } from './types';

/** genai-prices' provider id for Bedrock. */
const PROVIDER_ID = 'aws';

/** Models whose price is remembered. Model ids come from the config, or from clients when raw ids are allowed. */
const MAX_CACHED_MODELS = 1000;

/** The Bedrock major version at the end of an id: `-v1:0`, `-v2:0`, `-v1`, `-v1:2:8k`, `-v0:2`. */
const VERSION_SUFFIX = /-v(\d+)(?::[0-9a-z]+)*$/;

/** Options of {@link createGenaiPricesBook}. */
export interface GenaiPricesBookOptions {
  /** Milliseconds since the epoch, to choose among dated prices (a price change announced in advance). Default `Date.now`. */
  readonly clock?: () => number;
}

/**
 * A price book over the Bedrock (`aws`) prices bundled in `@pydantic/genai-prices`.
 *
 * A model is looked up by its id as sent (so that `global.` and geographic profiles keep their own prices: the data
 * prices newer Claude models about 10% higher in a geography than globally), then, when that finds nothing, without the
 * profile prefix. The data has no per-region prices: `region` is not used.
 *
 * The package (about 0.5 MB of data, tens of milliseconds to load) is loaded by this call, not when the library is
 * imported.
 */
export function createGenaiPricesBook(options: GenaiPricesBookOptions = {}): PriceBook {
  const clock = options.clock ?? Date.now;
  // Loaded here rather than imported at the top: importing the gateway stays cheap until a gateway is created.
  const { calcPrice } = require('@pydantic/genai-prices') as typeof GenaiPrices;
  // Undefined is remembered too: a model the data does not know is not looked for again.
  const cache = new Map<string, TokenPrices | undefined>();

  function lookUp(modelId: string): TokenPrices | undefined {
    if (cache.has(modelId)) return cache.get(modelId);
    const found = calcPrice({}, modelId, { providerId: PROVIDER_ID, timestamp: new Date(clock()) });
    const prices = found && sameVersion(modelId, found.model.id) ? toTokenPrices(found.model_price) : undefined;
    // Dated prices change over time: they are looked up on every call (tens of microseconds).
    if (!Array.isArray(found?.model.prices) && cache.size < MAX_CACHED_MODELS) cache.set(modelId, prices);
    return prices;
  }

  return {
    prices(upstreamId) {
      const modelId = modelIdOf(upstreamId);
      if (modelId === undefined) return undefined;
      const bare = withoutProfilePrefix(modelId);
      return lookUp(modelId) ?? (bare === modelId ? undefined : lookUp(bare));
    },
  };
}

/**
 * genai-prices matches ids by substring, so `amazon.titan-embed-text-v2:0` would take the price of
 * `amazon.titan-embed-text-v1` (five times higher). A match is refused when both ids end in a different major version.
 */
function sameVersion(modelId: string, sourceId: string): boolean {
  const ours = VERSION_SUFFIX.exec(modelId)?.[1];
  const theirs = VERSION_SUFFIX.exec(sourceId)?.[1];
  return ours === undefined || theirs === undefined || ours === theirs;
}

/** genai-prices' per-million prices (`input_mtok`...) as ours; undefined when it prices no token class. */
function toTokenPrices(modelPrice: GenaiPrices.ModelPrice): TokenPrices | undefined {
  const prices: TokenPrices = {
    input: perToken(modelPrice['input_mtok']),
    output: perToken(modelPrice['output_mtok']),
    cacheRead: perToken(modelPrice['cache_read_mtok']),
    cacheWrite: perToken(modelPrice['cache_write_mtok']),
    cacheWrite1h: perToken(modelPrice['cache_write_1h_mtok']),
  };
  return Object.values(prices).some((price) => price !== undefined) ? prices : undefined;
}

function perToken(perMillion: number | GenaiPrices.TieredPrices | undefined): TokenPrice | undefined {
  if (perMillion === undefined) return undefined;
  if (typeof perMillion === 'number') return shiftMillion(perMillion);
  return {
    base: shiftMillion(perMillion.base),
    tiers: [...perMillion.tiers]
      .sort((a, b) => a.start - b.start)
      .map((tier) => ({ abovePromptTokens: tier.start, price: shiftMillion(tier.price) })),
  };
}

/**
 * A per-million price as a per-token one, by moving the decimal point in its written form: 0.3 becomes exactly the
 * number `3e-7` (what a per-token price in a config file reads as), where `0.3 / 1e6` can be one unit in the last place off.
 */
function shiftMillion(perMillion: number): number {
  const [mantissa, exponent = '0'] = String(perMillion).split('e');
  return Number(`${mantissa}e${Number(exponent) - 6}`);
}
