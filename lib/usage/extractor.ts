/**
 * Usage extraction: reads the tokens of a Bedrock answer as it passes through the gateway, for each operation and
 * model family. See `families/` for what each family reports and `invoke-stream-extractor.ts` for the per-frame cost.
 */
import type { OperationName } from '../operations';
import { BodyUsageExtractor, type BodyUsageReader } from './body-extractor';
import { readConverseUsage } from './converse-usage';
import { ConverseStreamUsageExtractor } from './converse-stream-extractor';
import type { ModelFamily } from './families/family';
import { InvokeStreamUsageExtractor } from './invoke-stream-extractor';
import { familyOfModelId, familyOfShape } from './model-family';
import type { UsageExtractor } from './types';

export type { UsageResult } from './types';
export { totalTokens } from './total-tokens';

/**
 * A fresh extractor for one answer (one attempt) of `operation` on `modelId`.
 *
 * Precedence: the model's own usage (body or stream) when complete, else Bedrock's `amazon-bedrock-invocationMetrics`
 * (streams), else its `x-amzn-bedrock-*-token-count` headers (InvokeModel); `result().source` says which was used.
 * An error response or exception frame yields no usage of its own.
 *
 * @param modelId The model id as in the request path: a base model id, an inference profile id (`us.`, `eu.`,
 *   `apac.`, `global.` ...) or an ARN. When it names no known family (an application inference profile), the family
 *   is recognized from the answer's shape.
 */
export function createUsageExtractor(operation: OperationName, modelId: string): UsageExtractor {
  switch (operation) {
    case 'invoke':
      return new BodyUsageExtractor(invokeBodyReader(familyOfModelId(modelId)));
    case 'invoke-with-response-stream':
      return new InvokeStreamUsageExtractor(familyOfModelId(modelId));
    case 'converse':
      return new BodyUsageExtractor(readConverseUsage);
    case 'converse-stream':
      return new ConverseStreamUsageExtractor();
    default:
      // CountTokens only counts; guardrails, knowledge bases, agents and async jobs report no tokens per call.
      return NO_USAGE;
  }
}

/** The extractor of answers that carry no token usage: it reads nothing. */
const NO_USAGE: UsageExtractor = {
  observeHeaders: () => undefined,
  observeBody: () => undefined,
  observeFrame: () => undefined,
  result: () => ({ usage: undefined, source: 'none', complete: true }),
};

function invokeBodyReader(family: ModelFamily | undefined): BodyUsageReader {
  return (body) => (family ?? familyOfShape(body))?.read(body);
}
