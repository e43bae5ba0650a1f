/**
 * `amazon-bedrock-invocationMetrics`: the counts Bedrock itself adds to the last chunk of every InvokeModel stream,
 * whatever the model family (`inputTokenCount`, `outputTokenCount`, and the cache counts when caching was used).
 */
import { objectAt, tokenCount, type JsonObject } from './json';
import type { UsageReading } from './reading';

const METRICS_KEY = 'amazon-bedrock-invocationMetrics';

/** The invocation metrics a decoded model event carries, or `undefined` when it carries none. */
export function readInvocationMetrics(event: JsonObject): UsageReading | undefined {
  const metrics = objectAt(event, METRICS_KEY);
  if (!metrics) return undefined;
  return {
    inputTokens: tokenCount(metrics['inputTokenCount']),
    outputTokens: tokenCount(metrics['outputTokenCount']),
    cacheReadTokens: tokenCount(metrics['cacheReadInputTokenCount']),
    cacheWriteTokens: tokenCount(metrics['cacheWriteInputTokenCount']),
    // Bedrock adds them once the model finished: they are the answer's totals.
    final: true,
  };
}
