/**
 * Anthropic Claude through the Messages API. A body's `usage` holds all counts; a stream reports input and cache
 * counts in `message_start` (`message.usage`) and the final, cumulative output count in `message_delta` (`usage`).
 * `input_tokens` excludes cache reads and writes, as the gateway counts input.
 */
import { objectAt, tokenCount, type JsonObject } from '../json';
import type { UsageReading } from '../reading';
import type { ModelFamily } from './family';

const EVENT_TYPES = new Set([
  'message',
  'message_start',
  'message_delta',
  'message_stop',
  'content_block_start',
  'content_block_delta',
  'content_block_stop',
  'ping',
]);

function read(value: JsonObject): UsageReading | undefined {
  const usage = objectAt(value, 'usage') ?? objectAt(value, 'message', 'usage');
  if (!usage) return undefined;
  const cacheCreation = objectAt(usage, 'cache_creation');
  return {
    inputTokens: tokenCount(usage['input_tokens']),
    outputTokens: tokenCount(usage['output_tokens']),
    cacheReadTokens: tokenCount(usage['cache_read_input_tokens']),
    cacheWriteTokens: tokenCount(usage['cache_creation_input_tokens']),
    cacheWrite5mTokens: tokenCount(cacheCreation?.['ephemeral_5m_input_tokens']),
    cacheWrite1hTokens: tokenCount(cacheCreation?.['ephemeral_1h_input_tokens']),
    // message_start's output count is a placeholder (usually 1); message_delta's is the answer's.
    final: value['type'] === 'message_delta',
  };
}

export const anthropic: ModelFamily = {
  name: 'anthropic',
  read,
  recognizes: (value) => typeof value['type'] === 'string' && EVENT_TYPES.has(value['type']),
};
