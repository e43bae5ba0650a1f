/**
 * Finds the Bedrock model behind what the gateway sends upstream, so that it can be priced: a model id, a
 * cross-region inference profile id, or an ARN.
 */

/** `arn:<partition>:bedrock:<region>:<account>:<resource type>/<resource id>`; foundation models have no account. */
const BEDROCK_ARN = /^arn:aws[a-z-]*:bedrock:[a-z0-9-]*:\d*:([a-z-]+)\/(.+)$/;

/**
 * ARN resource types whose id is a model id or a system-defined inference profile id. The others (application
 * inference profiles, provisioned throughput, custom and imported models, prompt routers) carry an opaque id that
 * names no model.
 */
const MODEL_RESOURCE_TYPES: ReadonlySet<string> = new Set(['foundation-model', 'inference-profile']);

/**
 * The prefixes of Bedrock's system-defined cross-region inference profiles: a geography, or `global.`. A list rather
 * than a pattern, because a profile id's first segment looks like a provider name (`us.amazon.nova-lite-v1:0`,
 * `openai.gpt-5.4`).
 */
const PROFILE_PREFIX = /^(?:us|us-gov|eu|apac|jp|au|ca|in|global)\./;

/**
 * The model id or inference profile id that `upstreamId` names: itself unless it is an ARN, the resource id of a
 * foundation-model or inference-profile ARN, and undefined for an ARN that names no model.
 */
export function modelIdOf(upstreamId: string): string | undefined {
  if (!upstreamId.startsWith('arn:')) return upstreamId;
  const match = BEDROCK_ARN.exec(upstreamId);
  return match?.[1] !== undefined && MODEL_RESOURCE_TYPES.has(match[1]) ? match[2] : undefined;
}

/** The model id of a cross-region inference profile id (`us.amazon.nova-lite-v1:0` → `amazon.nova-lite-v1:0`). */
export function withoutProfilePrefix(modelId: string): string {
  return modelId.replace(PROFILE_PREFIX, '');
}
