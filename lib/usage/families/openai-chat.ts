/**
 * Models that answer in the OpenAI chat-completions shape: OpenAI gpt-oss, AI21 Jamba, and the Mistral, DeepSeek and
 * Qwen models. `usage` holds `prompt_tokens` and `completion_tokens` when the model reports it; in a stream it comes
 * once, with the closing chunk. Mistral's classic formats (`outputs`, `choices` with `stop_reason`) and DeepSeek-R1's
 * (`choices[].text`) carry no usage at all: Bedrock's invocation metrics or headers count those.
 */
import { objectAt, tokenCount, type JsonObject } from '../json';
import type { UsageReading } from '../reading';
import type { ModelFamily } from './family';

function read(value: JsonObject): UsageReading | undefined {
  const usage = objectAt(value, 'usage');
  if (!usage) return undefined;
  const promptTokens = tokenCount(usage['prompt_tokens']);
  // OpenAI counts cached prompt tokens inside prompt_tokens; the gateway counts input without cache reads.
  const cachedTokens = tokenCount(objectAt(usage, 'prompt_tokens_details')?.['cached_tokens']);
  return {
    inputTokens: promptTokens !== undefined && cachedTokens !== undefined ? Math.max(0, promptTokens - cachedTokens) : promptTokens,
    outputTokens: tokenCount(usage['completion_tokens']),
    cacheReadTokens: cachedTokens,
    final: true,
  };
}

export const openAiChat: ModelFamily = {
  name: 'openai-chat',
  read,
  recognizes: (value) => Array.isArray(value['choices']) || Array.isArray(value['outputs']),
};
