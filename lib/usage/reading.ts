/**
 * A reading: the token counts one place in an answer reported (a body, a stream event, Bedrock's metrics or headers),
 * each count possibly missing. Readings of one stream are merged in order; the extractor then picks the best source.
 */
import type { TokenUsage } from './types';

/** Counts as reported; a missing count means "not reported here", not zero. */
export interface UsageReading {
  readonly inputTokens?: number | undefined;
  readonly outputTokens?: number | undefined;
  readonly cacheReadTokens?: number | undefined;
  readonly cacheWriteTokens?: number | undefined;
  readonly cacheWrite5mTokens?: number | undefined;
  readonly cacheWrite1hTokens?: number | undefined;
  /** These are the answer's final counts (a whole body, a stream's closing usage), not a running figure. */
  readonly final?: boolean | undefined;
}

/**
 * Merges two readings of the same answer, `later` after `earlier`. Models report running totals (Anthropic's
 * `output_tokens` in `message_delta`, Llama's `generation_token_count`), so a later count replaces an earlier one.
 */
export function mergeReadings(earlier: UsageReading | undefined, later: UsageReading | undefined): UsageReading | undefined {
  if (!earlier) return later;
  if (!later) return earlier;
  return {
    inputTokens: later.inputTokens ?? earlier.inputTokens,
    outputTokens: later.outputTokens ?? earlier.outputTokens,
    cacheReadTokens: later.cacheReadTokens ?? earlier.cacheReadTokens,
    cacheWriteTokens: later.cacheWriteTokens ?? earlier.cacheWriteTokens,
    cacheWrite5mTokens: later.cacheWrite5mTokens ?? earlier.cacheWrite5mTokens,
    cacheWrite1hTokens: later.cacheWrite1hTokens ?? earlier.cacheWrite1hTokens,
    final: later.final === true || earlier.final === true,
  };
}

/** Final counts with both input and output known: good enough to account for without looking further. */
export function isCompleteReading(reading: UsageReading | undefined): boolean {
  return reading?.final === true && reading.inputTokens !== undefined && reading.outputTokens !== undefined;
}

/** Whether the reading reports any count at all. */
export function hasAnyCount(reading: UsageReading | undefined): boolean {
  return (
    reading !== undefined &&
    (reading.inputTokens !== undefined ||
      reading.outputTokens !== undefined ||
      reading.cacheReadTokens !== undefined ||
      reading.cacheWriteTokens !== undefined ||
      reading.cacheWrite5mTokens !== undefined ||
      reading.cacheWrite1hTokens !== undefined)
  );
}

/** The reading as the gateway accounts for it: missing counts are zero, the cache-write total covers its split. */
export function toTokenUsage(reading: UsageReading): TokenUsage {
  const { cacheWrite5mTokens, cacheWrite1hTokens } = reading;
  const splitReported = cacheWrite5mTokens !== undefined || cacheWrite1hTokens !== undefined;
  const splitTotal = (cacheWrite5mTokens ?? 0) + (cacheWrite1hTokens ?? 0);
  const usage: TokenUsage = {
    inputTokens: reading.inputTokens ?? 0,
    outputTokens: reading.outputTokens ?? 0,
    cacheReadTokens: reading.cacheReadTokens ?? 0,
    cacheWriteTokens: reading.cacheWriteTokens ?? splitTotal,
  };
  return splitReported ? { ...usage, cacheWrite5mTokens: cacheWrite5mTokens ?? 0, cacheWrite1hTokens: cacheWrite1hTokens ?? 0 } : usage;
}
