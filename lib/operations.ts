/**
 * The Bedrock operations the gateway serves, by the names used in config (`keys[].operations`), logs and records:
 * the kebab-case of the AWS operation (`ApplyGuardrail` is `apply-guardrail`; the model routes' names are the last
 * segment of their paths).
 */

/** Operations that follow a model's deployments (region, credentials, retries and fallbacks), named by the request. */
export const MODEL_OPERATIONS = [
  'invoke',
  'invoke-with-response-stream',
  'converse',
  'converse-stream',
  'count-tokens',
  'start-async-invoke',
] as const;

/** Bedrock Runtime operations served with `bedrock_settings`: they name no model, or not one of ours. */
export const RUNTIME_SERVICE_OPERATIONS = ['apply-guardrail', 'invoke-guardrail-checks', 'list-async-invokes', 'get-async-invoke'] as const;

/** Bedrock Agent Runtime operations, served with `bedrock_settings`. */
export const AGENT_RUNTIME_OPERATIONS = ['retrieve', 'retrieve-and-generate', 'retrieve-and-generate-stream', 'invoke-agent', 'rerank'] as const;

/** Every operation the gateway serves. */
export const OPERATIONS = [...MODEL_OPERATIONS, ...RUNTIME_SERVICE_OPERATIONS, ...AGENT_RUNTIME_OPERATIONS] as const;

/** A Bedrock operation served by the gateway. */
export type OperationName = (typeof OPERATIONS)[number];
