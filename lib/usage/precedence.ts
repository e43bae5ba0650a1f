/**
 * Which reading an answer's usage comes from. The model's own report goes first because it is the richest (Anthropic
 * splits cache writes by TTL, Bedrock's metrics do not); Bedrock's invocation metrics and headers are the fallbacks
 * that count any model family, even one this code does not know.
 */
import { hasAnyCount, isCompleteReading, toTokenUsage, type UsageReading } from './reading';
import type { UsageResult, UsageSource } from './types';

/** The readings of one answer, each possibly absent. */
export interface AnswerReadings {
  /** The model's own usage, from the whole body or from the stream's events. */
  readonly own?: { readonly reading: UsageReading | undefined; readonly source: 'body' | 'stream' } | undefined;
  /** `amazon-bedrock-invocationMetrics` from an InvokeModel stream's last chunk. */
  readonly invocationMetrics?: UsageReading | undefined;
  /** Bedrock's `x-amzn-bedrock-*-token-count` response headers. */
  readonly headers?: UsageReading | undefined;
}

/** No usage: an error, an answer that was cut before any count, or a model that reports none. */
export const NO_USAGE: UsageResult = Object.freeze({ usage: undefined, source: 'none', complete: false });

/**
 * Picks the first complete reading in order of precedence (own, invocation metrics, headers). When none is complete,
 * as in a stream abandoned before its final usage, the first reading with any count is returned with `complete` false.
 */
export function chooseUsage(readings: AnswerReadings): UsageResult {
  const candidates: ReadonlyArray<readonly [UsageReading | undefined, UsageSource]> = [
    [readings.own?.reading, readings.own?.source ?? 'body'],
    [readings.invocationMetrics, 'invocation-metrics'],
    [readings.headers, 'headers'],
  ];
  for (const [reading, source] of candidates) {
    if (reading && isCompleteReading(reading)) return { usage: toTokenUsage(reading), source, complete: true };
  }
  for (const [reading, source] of candidates) {
    if (reading && hasAnyCount(reading)) return { usage: toTokenUsage(reading), source, complete: false };
  }
  return NO_USAGE;
}
