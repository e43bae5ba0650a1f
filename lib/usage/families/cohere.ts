/**
 * Cohere Command R / R+ and Cohere Embed. Cohere reports billed tokens in `meta.billed_units` (`input_tokens`,
 * `output_tokens`); a Command R stream puts the whole response, `meta` included, in its closing `stream-end` event.
 * Embed bills input only. Where a response carries no `meta`, Bedrock's metrics or headers count it instead.
 */
import { objectAt, tokenCount, type JsonObject } from '../json';
import type { UsageReading } from '../reading';
import type { ModelFamily } from './family';

function read(value: JsonObject): UsageReading | undefined {
  const billed = objectAt(value, 'meta', 'billed_units') ?? objectAt(value, 'response', 'meta', 'billed_units');
  if (!billed) return undefined;
  const isEmbedding = 'embeddings' in value;
  return {
    inputTokens: tokenCount(billed['input_tokens']),
    outputTokens: tokenCount(billed['output_tokens']) ?? (isEmbedding ? 0 : undefined),
    final: value['event_type'] === 'stream-end' || value['is_finished'] === true,
  };
}

export const cohere: ModelFamily = {
  name: 'cohere',
  read,
  recognizes: (value) =>
    typeof value['event_type'] === 'string' ||
    typeof value['generation_id'] === 'string' ||
    typeof value['response_type'] === 'string' ||
    objectAt(value, 'meta', 'billed_units') !== undefined,
};
