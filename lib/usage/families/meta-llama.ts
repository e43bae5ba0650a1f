/**
 * Meta Llama. Bodies and stream chunks carry `prompt_token_count` (in the first chunk only when streaming) and
 * `generation_token_count`, which in a stream is the running total so far; the last chunk has a `stop_reason`.
 */
import { tokenCount, type JsonObject } from '../json';
import type { UsageReading } from '../reading';
import type { ModelFamily } from './family';

function read(value: JsonObject): UsageReading | undefined {
  const inputTokens = tokenCount(value['prompt_token_count']);
  const outputTokens = tokenCount(value['generation_token_count']);
  if (inputTokens === undefined && outputTokens === undefined) return undefined;
  return { inputTokens, outputTokens, final: typeof value['stop_reason'] === 'string' };
}

export const metaLlama: ModelFamily = {
  name: 'meta-llama',
  read,
  recognizes: (value) => 'generation_token_count' in value || 'prompt_token_count' in value,
};
