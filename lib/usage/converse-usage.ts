/**
 * Converse's `TokenUsage`, as a Converse body and ConverseStream's `metadata` event carry it under `usage`:
 * `inputTokens`, `outputTokens`, `cacheReadInputTokens`, `cacheWriteInputTokens`, and `cacheDetails`, the cache
 * writes by TTL (`[{ ttl: '5m' | '1h', inputTokens }]`, empty when nothing was written).
 */
import { asObject, objectAt, tokenCount, type JsonObject } from './json';
import type { UsageReading } from './reading';

/** The usage of a Converse body or `metadata` event, or `undefined` when it has none. */
export function readConverseUsage(container: JsonObject): UsageReading | undefined {
  const usage = objectAt(container, 'usage');
  if (!usage) return undefined;
  return {
    inputTokens: tokenCount(usage['inputTokens']),
    outputTokens: tokenCount(usage['outputTokens']),
    cacheReadTokens: tokenCount(usage['cacheReadInputTokens']),
    cacheWriteTokens: tokenCount(usage['cacheWriteInputTokens']),
    ...cacheWritesByTtl(usage['cacheDetails']),
    // Converse reports usage once, for the whole answer.
    final: true,
  };
}

function cacheWritesByTtl(details: unknown): Pick<UsageReading, 'cacheWrite5mTokens' | 'cacheWrite1hTokens'> {
  if (!Array.isArray(details) || details.length === 0) return {};
  let fiveMinutes = 0;
  let oneHour = 0;
  for (const detail of details) {
    const entry = asObject(detail);
    const tokens = tokenCount(entry?.['inputTokens']) ?? 0;
    if (entry?.['ttl'] === '5m') fiveMinutes += tokens;
    else if (entry?.['ttl'] === '1h') oneHour += tokens;
  }
  return { cacheWrite5mTokens: fiveMinutes, cacheWrite1hTokens: oneHour };
}
