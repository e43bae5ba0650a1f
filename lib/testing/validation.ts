/**
 * Request validation as Bedrock does it before running anything: a body that is a JSON object, the members its
 * model marks required, and (when the emulator was given a list) a known model id. Shallow on purpose: it checks
 * presence, not every type and constraint.
 */
import { EmulatedError, missingMember, validationError } from './emulated-error';
import { asArray, asObject, type JsonObject } from './json-values';
import { MODEL_OPERATIONS } from '../operations';
import type { EmulatedOperation } from './operations';

/**
 * Required members per operation, as dotted paths. A nested member is required only when its parent is present
 * (as in the service models); `name[]` stands for each element of a list.
 */
const REQUIRED_MEMBERS: { readonly [Operation in EmulatedOperation]?: readonly string[] } = {
  'invoke-guardrail-checks': ['messages', 'checks', 'messages[].role', 'messages[].content'],
  'start-async-invoke': ['modelId', 'modelInput', 'outputDataConfig', 'outputDataConfig.s3OutputDataConfig.s3Uri'],
  retrieve: ['retrievalQuery'],
  'retrieve-and-generate': retrieveAndGenerateMembers(),
  'retrieve-and-generate-stream': retrieveAndGenerateMembers(),
  rerank: [
    'queries',
    'sources',
    'rerankingConfiguration',
    'queries[].type',
    'sources[].type',
    'sources[].inlineDocumentSource.type',
    'rerankingConfiguration.type',
    'rerankingConfiguration.bedrockRerankingConfiguration.modelConfiguration',
    'rerankingConfiguration.bedrockRerankingConfiguration.modelConfiguration.modelArn',
  ],
};

function retrieveAndGenerateMembers(): readonly string[] {
  const configuration = 'retrieveAndGenerateConfiguration';
  return [
    'input',
    'input.text',
    `${configuration}.type`,
    `${configuration}.knowledgeBaseConfiguration.knowledgeBaseId`,
    `${configuration}.knowledgeBaseConfiguration.modelArn`,
    `${configuration}.externalSourcesConfiguration.modelArn`,
    `${configuration}.externalSourcesConfiguration.sources`,
    'sessionConfiguration.kmsKeyArn',
  ];
}

/** Operations without a request body (their input is the path and the query). */
const BODILESS: ReadonlySet<EmulatedOperation> = new Set(['list-async-invokes', 'get-async-invoke']);

/** Operations that run a model named by an id the `models` option can restrict. */
const MODEL_ID_OPERATIONS: ReadonlySet<EmulatedOperation> = new Set(MODEL_OPERATIONS);

/** Adds a problem for each required member of `path` that is absent from `value`, worded with AWS's member paths. */
function findMissing(value: unknown, segments: readonly string[], prefix: string, problems: string[]): void {
  const [head, ...rest] = segments;
  const object = asObject(value);
  if (head === undefined || !object) return;
  const eachElement = head.endsWith('[]');
  const name = eachElement ? head.slice(0, -2) : head;
  const member = object[name];
  const at = prefix ? `${prefix}.${name}` : name;
  if (rest.length === 0) {
    if (member === undefined || member === null) problems.push(missingMember(at));
  } else if (eachElement) {
    // AWS numbers list elements from 1: `messages.1.member.role`.
    asArray(member)?.forEach((element, index) => findMissing(element, rest, `${at}.${index + 1}.member`, problems));
  } else {
    findMissing(member, rest, at, problems);
  }
}

/** The existing Bedrock Runtime model operations' checks, worded as Bedrock words them for those bodies. */
function malformedModelRequest(operation: EmulatedOperation, json: JsonObject): string | undefined {
  switch (operation) {
    case 'converse':
    case 'converse-stream':
      return Array.isArray(json['messages']) ? undefined : 'messages: expected a list';
    case 'count-tokens':
      return asObject(json['input']) ? undefined : 'input: required';
    case 'apply-guardrail':
      return (json['source'] === 'INPUT' || json['source'] === 'OUTPUT') && Array.isArray(json['content'])
        ? undefined
        : 'source and content: required';
    default:
      return undefined;
  }
}

/** What a validated call carries. */
export interface CallToValidate {
  readonly operation: EmulatedOperation;
  readonly modelId?: string | undefined;
  readonly json: JsonObject | undefined;
}

/** The ValidationException Bedrock answers a malformed call with, or undefined when the call is well formed. */
export function validateRequest(call: CallToValidate, knownModels: ReadonlySet<string> | undefined): EmulatedError | undefined {
  const { operation, json } = call;
  if (knownModels && MODEL_ID_OPERATIONS.has(operation) && call.modelId !== undefined && !knownModels.has(call.modelId)) {
    return new EmulatedError('ValidationException', 'The provided model identifier is invalid.');
  }
  if (BODILESS.has(operation)) return undefined;
  if (!json) {
    return new EmulatedError(
      'ValidationException',
      'Malformed input request: expected type: JSONObject, please reformat your input and try again.',
    );
  }
  const malformed = malformedModelRequest(operation, json);
  if (malformed) return new EmulatedError('ValidationException', `Malformed input request: ${malformed}`);
  const problems: string[] = [];
  for (const path of REQUIRED_MEMBERS[operation] ?? []) findMissing(json, path.split('.'), '', problems);
  return problems.length > 0 ? validationError(problems) : undefined;
}
