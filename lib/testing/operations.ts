/**
 * The emulator's route table: every operation it serves, with its service, method and path as the services'
 * models define them, the exceptions its event stream can carry, and the resource a call names.
 * Bedrock Runtime and Bedrock Agent Runtime paths do not overlap, so one port serves both.
 */
import {
  CONVERSE_STREAM_EXCEPTION_TYPES,
  INVOKE_AGENT_STREAM_EXCEPTION_TYPES,
  INVOKE_STREAM_EXCEPTION_TYPES,
  RETRIEVE_AND_GENERATE_STREAM_EXCEPTION_TYPES,
  type AgentRuntimeStreamExceptionType,
  type StreamExceptionType,
} from '../aws/bedrock-errors';
import { EmulatedError, type EmulatedService } from './emulated-error';
import { stringAt, type JsonObject } from './json-values';

/** Every operation the emulator serves, in kebab-case as the gateway's route table names them. */
export const EMULATED_OPERATIONS = [
  // Bedrock Runtime
  'invoke',
  'invoke-with-response-stream',
  'converse',
  'converse-stream',
  'count-tokens',
  'apply-guardrail',
  'invoke-guardrail-checks',
  'start-async-invoke',
  'list-async-invokes',
  'get-async-invoke',
  // Bedrock Agent Runtime
  'retrieve',
  'retrieve-and-generate',
  'retrieve-and-generate-stream',
  'invoke-agent',
  'rerank',
] as const;

/** An operation the emulator serves. */
export type EmulatedOperation = (typeof EMULATED_OPERATIONS)[number];

/** An exception a stream can end with: Bedrock Runtime's (`StreamExceptionType`) or Bedrock Agent Runtime's. */
export type EmulatedStreamExceptionType = StreamExceptionType | AgentRuntimeStreamExceptionType;

interface OperationDefinition {
  readonly service: EmulatedService;
  readonly method: 'GET' | 'POST';
  /** The request path; `{name}` is one percent-encoded segment, named as the service model's URI label. */
  readonly pattern: string;
  /** Streaming operations: the exception members of the stream's union, as the service model lists them. */
  readonly streamExceptions?: readonly EmulatedStreamExceptionType[];
}

const RUNTIME = 'bedrock-runtime';
const AGENT_RUNTIME = 'bedrock-agent-runtime';

const OPERATIONS: { readonly [Operation in EmulatedOperation]: OperationDefinition } = {
  invoke: { service: RUNTIME, method: 'POST', pattern: '/model/{modelId}/invoke' },
  'invoke-with-response-stream': {
    service: RUNTIME,
    method: 'POST',
    pattern: '/model/{modelId}/invoke-with-response-stream',
    streamExceptions: INVOKE_STREAM_EXCEPTION_TYPES,
  },
  converse: { service: RUNTIME, method: 'POST', pattern: '/model/{modelId}/converse' },
  'converse-stream': {
    service: RUNTIME,
    method: 'POST',
    pattern: '/model/{modelId}/converse-stream',
    streamExceptions: CONVERSE_STREAM_EXCEPTION_TYPES,
  },
  'count-tokens': { service: RUNTIME, method: 'POST', pattern: '/model/{modelId}/count-tokens' },
  'apply-guardrail': { service: RUNTIME, method: 'POST', pattern: '/guardrail/{guardrailIdentifier}/version/{guardrailVersion}/apply' },
  'invoke-guardrail-checks': { service: RUNTIME, method: 'POST', pattern: '/guardrail-checks/invoke' },
  'start-async-invoke': { service: RUNTIME, method: 'POST', pattern: '/async-invoke' },
  'list-async-invokes': { service: RUNTIME, method: 'GET', pattern: '/async-invoke' },
  'get-async-invoke': { service: RUNTIME, method: 'GET', pattern: '/async-invoke/{invocationArn}' },
  retrieve: { service: AGENT_RUNTIME, method: 'POST', pattern: '/knowledgebases/{knowledgeBaseId}/retrieve' },
  'retrieve-and-generate': { service: AGENT_RUNTIME, method: 'POST', pattern: '/retrieveAndGenerate' },
  'retrieve-and-generate-stream': {
    service: AGENT_RUNTIME,
    method: 'POST',
    pattern: '/retrieveAndGenerateStream',
    streamExceptions: RETRIEVE_AND_GENERATE_STREAM_EXCEPTION_TYPES,
  },
  'invoke-agent': {
    service: AGENT_RUNTIME,
    method: 'POST',
    pattern: '/agents/{agentId}/agentAliases/{agentAliasId}/sessions/{sessionId}/text',
    streamExceptions: INVOKE_AGENT_STREAM_EXCEPTION_TYPES,
  },
  rerank: { service: AGENT_RUNTIME, method: 'POST', pattern: '/rerank' },
};

/** Operations whose answer is an event stream. */
export const STREAMING_OPERATIONS: ReadonlySet<EmulatedOperation> = new Set(
  EMULATED_OPERATIONS.filter((operation) => OPERATIONS[operation].streamExceptions),
);

/** The exceptions the operation's event stream can carry (the union's exception members); empty when it does not stream. */
export function streamExceptionTypes(operation: EmulatedOperation): readonly EmulatedStreamExceptionType[] {
  return OPERATIONS[operation].streamExceptions ?? [];
}

/** The service an operation belongs to. */
export function serviceOf(operation: EmulatedOperation): EmulatedService {
  return OPERATIONS[operation].service;
}

/** A request matched to an operation. */
export interface MatchedOperation {
  readonly operation: EmulatedOperation;
  readonly service: EmulatedService;
  /** The path's labels by their model names (`modelId`, `knowledgeBaseId`, `invocationArn`...), percent-decoded once. */
  readonly pathParameters: Readonly<Record<string, string>>;
}

const COMPILED = EMULATED_OPERATIONS.map((operation) => ({
  operation,
  ...OPERATIONS[operation],
  segments: OPERATIONS[operation].pattern.split('/'),
}));

const isLabel = (segment: string) => segment.startsWith('{') && segment.endsWith('}');

/**
 * The operation a method and path (without the query) call. AWS answers paths and methods it does not serve
 * with `UnknownOperationException`, and undecodable labels with `ValidationException`.
 */
export function matchOperation(method: string, path: string): MatchedOperation | EmulatedError {
  const segments = path.split('/');
  for (const route of COMPILED) {
    if (route.method !== method || route.segments.length !== segments.length) continue;
    const matches = route.segments.every((segment, index) =>
      isLabel(segment) ? segments[index] !== '' : segment === segments[index],
    );
    if (!matches) continue;
    const pathParameters: Record<string, string> = {};
    for (const [index, segment] of route.segments.entries()) {
      if (!isLabel(segment)) continue;
      try {
        pathParameters[segment.slice(1, -1)] = decodeURIComponent(segments[index] as string);
      } catch {
        const message = segment === '{modelId}' ? 'The provided model identifier is invalid.' : `The path segment ${segment} is not valid percent-encoding.`;
        return new EmulatedError('ValidationException', message);
      }
    }
    return { operation: route.operation, service: route.service, pathParameters };
  }
  return new EmulatedError('UnknownOperationException', `Unknown operation ${method} ${path}`);
}

/** What a call names: the model it runs, if any, and the one resource it acts on. */
export interface NamedResources {
  /** The model id (path or body), the reranking or generating model's ARN, or (as before) the guardrail id. */
  readonly modelId?: string | undefined;
  /** The model, guardrail, knowledge base or agent id, or the invocation ARN; none for guardrail checks and listings. */
  readonly resourceId?: string | undefined;
}

const KNOWLEDGE_BASE_CONFIGURATION = 'retrieveAndGenerateConfiguration.knowledgeBaseConfiguration';

/** The resources a call names, from its path and (for operations that name them in the body) its JSON body. */
export function namedResources(call: MatchedOperation, json: JsonObject | undefined): NamedResources {
  const path = call.pathParameters;
  const named = (id: string | undefined, modelId?: string) => ({ modelId, resourceId: id });
  switch (call.operation) {
    case 'invoke':
    case 'invoke-with-response-stream':
    case 'converse':
    case 'converse-stream':
    case 'count-tokens':
      return named(path['modelId'], path['modelId']);
    case 'apply-guardrail':
      return named(path['guardrailIdentifier'], path['guardrailIdentifier']);
    case 'invoke-guardrail-checks':
    case 'list-async-invokes':
      return {};
    case 'start-async-invoke': {
      const modelId = stringAt(json, 'modelId');
      return named(modelId, modelId);
    }
    case 'get-async-invoke':
      return named(path['invocationArn']);
    case 'retrieve':
      return named(path['knowledgeBaseId']);
    case 'retrieve-and-generate':
    case 'retrieve-and-generate-stream':
      return named(
        stringAt(json, `${KNOWLEDGE_BASE_CONFIGURATION}.knowledgeBaseId`),
        stringAt(json, `${KNOWLEDGE_BASE_CONFIGURATION}.modelArn`) ??
          stringAt(json, 'retrieveAndGenerateConfiguration.externalSourcesConfiguration.modelArn'),
      );
    case 'invoke-agent':
      return named(path['agentId']);
    case 'rerank': {
      const modelArn = stringAt(json, 'rerankingConfiguration.bedrockRerankingConfiguration.modelConfiguration.modelArn');
      return named(modelArn, modelArn);
    }
  }
}
