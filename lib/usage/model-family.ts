/**
 * Which family's format an answer is in: from the model id when it names the model, from the answer's shape when it
 * does not (application inference profiles, provisioned throughput, imported models).
 */
import { amazonNova } from './families/amazon-nova';
import { amazonTitan } from './families/amazon-titan';
import { anthropic } from './families/anthropic';
import { cohere } from './families/cohere';
import type { ModelFamily } from './families/family';
import { metaLlama } from './families/meta-llama';
import { openAiChat } from './families/openai-chat';
import type { JsonObject } from './json';

/** The family of a provider's models, given the model part of the id (after `provider.`). */
const PROVIDERS: ReadonlyMap<string, (model: string) => ModelFamily | undefined> = new Map([
  ['anthropic', () => anthropic],
  ['amazon', (model: string) => (model.startsWith('nova') ? amazonNova : model.startsWith('titan') ? amazonTitan : undefined)],
  ['meta', () => metaLlama],
  ['cohere', () => cohere],
  ['mistral', () => openAiChat],
  ['ai21', () => openAiChat],
  ['deepseek', () => openAiChat],
  ['openai', () => openAiChat],
  ['qwen', () => openAiChat],
]);

/** In the order shapes are tried: the most distinctive first. */
const FAMILIES_BY_SHAPE: readonly ModelFamily[] = [anthropic, amazonNova, amazonTitan, metaLlama, cohere, openAiChat];

/**
 * The family a model id names, or `undefined` when it names none. Accepts base model ids
 * (`anthropic.claude-sonnet-4-5-20250929-v1:0`), cross-region and global inference profiles (`us.`, `eu.`, `apac.`,
 * `global.` ...), and ARNs whose resource part holds such an id (`foundation-model/...`, `inference-profile/...`,
 * `custom-model/<base model id>/...`).
 */
export function familyOfModelId(modelId: string): ModelFamily | undefined {
  for (const id of candidateIds(modelId)) {
    const family = familyOfBareId(id);
    if (family) return family;
  }
  return undefined;
}

/** The family whose shape a body or stream event has, or `undefined`. */
export function familyOfShape(value: JsonObject): ModelFamily | undefined {
  return FAMILIES_BY_SHAPE.find((family) => family.recognizes(value));
}

/** The ids an ARN's resource part holds, last first (the id usually ends it); a plain id as is. */
function candidateIds(modelId: string): string[] {
  if (!modelId.startsWith('arn:')) return [modelId];
  // arn:partition:bedrock:region:account:type/id — the id itself may contain ':' (`...-v1:0`).
  const resource = modelId.split(':').slice(5).join(':');
  return resource.split('/').slice(1).reverse();
}

/** `provider.model`, or `prefix.provider.model` for an inference profile. */
function familyOfBareId(id: string): ModelFamily | undefined {
  return familyOfProviderId(id) ?? familyOfProviderId(id.slice(id.indexOf('.') + 1));
}

function familyOfProviderId(id: string): ModelFamily | undefined {
  const dot = id.indexOf('.');
  if (dot <= 0) return undefined;
  return PROVIDERS.get(id.slice(0, dot))?.(id.slice(dot + 1));
}
