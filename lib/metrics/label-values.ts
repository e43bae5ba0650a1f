/**
 * A cap on the distinct values one label may take. Some label values come from outside the config: with
 * `allow_raw_model_ids` the model group and deployment are whatever model id a caller sends, a host's authenticator
 * can mint a key per user, and error types come from upstream. Each new value is a new time series in every scrape,
 * forever; past the cap, new values are counted together under {@link OTHER_LABEL_VALUE} instead.
 */

/** The value that stands for every value seen after the cap was reached. */
export const OTHER_LABEL_VALUE = '(other)';

/** Maps a raw value to itself while fewer than `limit` distinct values were seen (or it was seen before). */
export function boundedLabelValues(limit: number): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    if (seen.has(value)) return value;
    if (seen.size >= limit) return OTHER_LABEL_VALUE;
    seen.add(value);
    return value;
  };
}
