/**
 * Amazon Nova understanding models. A body's `usage` and the stream's closing `metadata` chunk (`metadata.usage`)
 * hold `inputTokens`, `outputTokens`, and `cacheReadInputTokenCount` / `cacheWriteInputTokenCount`.
 */
import { objectAt, tokenCount, type JsonObject } from '../json';
import type { UsageReading } from '../reading';
import type { ModelFamily } from './family';

/** Nova's stream events, each a chunk whose only key names the event (as in ConverseStream). */
const STREAM_EVENTS = ['messageStart', 'contentBlockStart', 'contentBlockDelta', 'contentBlockStop', 'messageStop', 'metadata'];

function read(value: JsonObject): UsageReading | undefined {
  const metadataUsage = objectAt(value, 'metadata', 'usage');
  const usage = metadataUsage ?? objectAt(value, 'usage');
  if (!usage) return undefined;
  return {
    inputTokens: tokenCount(usage['inputTokens']),
    outputTokens: tokenCount(usage['outputTokens']),
    cacheReadTokens: tokenCount(usage['cacheReadInputTokenCount']),
    cacheWriteTokens: tokenCount(usage['cacheWriteInputTokenCount']),
    final: metadataUsage !== undefined,
  };
}

export const amazonNova: ModelFamily = {
  name: 'amazon-nova',
  read,
  recognizes: (value) => objectAt(value, 'output', 'message') !== undefined || STREAM_EVENTS.some((event) => event in value),
};
