/** Token totals, for limits that count every token alike (a deployment's tokens per minute). */
import type { TokenUsage } from './types';

/**
 * All tokens of an answer: input, output, and prompt-cache reads and writes.
 * @returns 0 when the usage is unknown.
 */
export function totalTokens(usage: TokenUsage | undefined): number {
  return usage ? usage.inputTokens + usage.outputTokens + usage.cacheReadTokens + usage.cacheWriteTokens : 0;
}
