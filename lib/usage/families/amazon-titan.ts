/**
 * Amazon Titan Text and Titan Embeddings. Text bodies carry `inputTextTokenCount` and `results[].tokenCount`; stream
 * chunks carry `inputTextTokenCount` and the running `totalOutputTextTokenCount`, and the last one a
 * `completionReason`. Embeddings report only `inputTextTokenCount`: they generate no output tokens.
 */
import { asObject, tokenCount, type JsonObject } from '../json';
import type { UsageReading } from '../reading';
import type { ModelFamily } from './family';

function outputTokens(value: JsonObject): number | undefined {
  const results = value['results'];
  if (Array.isArray(results)) {
    let total = 0;
    for (const result of results) {
      const count = tokenCount(asObject(result)?.['tokenCount']);
      if (count === undefined) return undefined;
      total += count;
    }
    return total;
  }
  const streamed = tokenCount(value['totalOutputTextTokenCount']);
  if (streamed !== undefined) return streamed;
  return 'embedding' in value || 'embeddingsByType' in value ? 0 : undefined;
}

function read(value: JsonObject): UsageReading | undefined {
  const inputTokens = tokenCount(value['inputTextTokenCount']);
  const output = outputTokens(value);
  if (inputTokens === undefined && output === undefined) return undefined;
  return { inputTokens, outputTokens: output, final: typeof value['completionReason'] === 'string' };
}

export const amazonTitan: ModelFamily = {
  name: 'amazon-titan',
  read,
  recognizes: (value) => 'inputTextTokenCount' in value || 'totalOutputTextTokenCount' in value,
};
