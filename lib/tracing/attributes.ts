/**
 * What a request's spans say: names, OpenTelemetry GenAI semantic-convention attributes and the gateway's own
 * `bedrock_passthrough.*` ones, computed from its usage record. Pure, so it is tested without a tracer.
 *
 * The request span is the GenAI inference span: per the conventions it covers the whole logical model call,
 * retries included, and it alone carries the `gen_ai.*` usage, so that backends summing tokens over a trace count a
 * request once. Attempt spans are the gateway's calls to Bedrock and carry only `bedrock_passthrough.*`, HTTP status
 * and error attributes.
 */
import type { OperationName } from '../operations';
import type { AttemptRecord, UsageRecord } from '../types';

/** Attribute values as OpenTelemetry takes them (the subset used here). */
export type SpanAttributes = Record<string, string | number | boolean>;

/** What the spans read of a request's usage record. */
export type TracedRequest = Pick<
  UsageRecord,
  | 'requestId'
  | 'keyId'
  | 'operation'
  | 'modelName'
  | 'deploymentId'
  | 'modelId'
  | 'region'
  | 'streamed'
  | 'status'
  | 'outcome'
  | 'errorType'
  | 'usage'
  | 'costUsd'
  | 'timeToFirstByteMs'
  | 'overheadMs'
  | 'attempts'
>;

/** What an attempt span reads of an attempt record. */
export type TracedAttempt = Pick<AttemptRecord, 'deploymentId' | 'modelName' | 'status' | 'errorType' | 'latencyMs' | 'durationMs' | 'startedAt' | 'outcome'>;

/** `gen_ai.provider.name` (and the deprecated `gen_ai.system`) for Bedrock. */
export const GEN_AI_PROVIDER = 'aws.bedrock';
/** The span name until the request's operation and model are known. */
export const PENDING_SPAN_NAME = 'bedrock-passthrough';

/**
 * The GenAI operation of a Bedrock operation. Converse is chat; InvokeAgent is `invoke_agent`. InvokeModel's body is
 * the model's own format (chat, completion, embeddings, images); the gateway does not parse it, so it uses the
 * generic `generate_content`, as for the other calls that generate (async jobs, RetrieveAndGenerate). The rest have
 * no GenAI name: their own operation name stands.
 */
export function genAiOperation(operation: OperationName): string {
  switch (operation) {
    case 'converse':
    case 'converse-stream':
      return 'chat';
    case 'invoke-agent':
      return 'invoke_agent';
    case 'invoke':
    case 'invoke-with-response-stream':
    case 'start-async-invoke':
    case 'retrieve-and-generate':
    case 'retrieve-and-generate-stream':
      return 'generate_content';
    default:
      return operation;
  }
}

/** `{gen_ai.operation.name} {gen_ai.request.model}`, as the GenAI conventions name inference spans. */
export function requestSpanName(request: Pick<TracedRequest, 'operation' | 'modelName'>): string {
  const operation = genAiOperation(request.operation);
  return request.modelName ? `${operation} ${request.modelName}` : operation;
}

/** The attributes set on the request span at its start, where samplers can see them. */
export function startAttributes(): SpanAttributes {
  return { 'gen_ai.provider.name': GEN_AI_PROVIDER, 'gen_ai.system': GEN_AI_PROVIDER };
}

/** The request span's attributes once the request is over. */
export function requestAttributes(request: TracedRequest): SpanAttributes {
  const attributes: SpanAttributes = {
    ...startAttributes(),
    'gen_ai.operation.name': genAiOperation(request.operation),
    'http.response.status_code': request.status,
    'bedrock_passthrough.request_id': request.requestId,
    'bedrock_passthrough.operation': request.operation,
    'bedrock_passthrough.streamed': request.streamed,
    'bedrock_passthrough.outcome': request.outcome,
    'bedrock_passthrough.attempts': request.attempts.length,
  };
  if (request.modelName) attributes['gen_ai.request.model'] = request.modelName;
  if (request.modelId) attributes['gen_ai.response.model'] = request.modelId;
  if (request.usage) {
    const { inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens } = request.usage;
    // The conventions count cached tokens in input_tokens; Bedrock reports them apart from its inputTokens.
    attributes['gen_ai.usage.input_tokens'] = inputTokens + cacheReadTokens + cacheWriteTokens;
    attributes['gen_ai.usage.output_tokens'] = outputTokens;
    attributes['gen_ai.usage.cache_read.input_tokens'] = cacheReadTokens;
    attributes['gen_ai.usage.cache_creation.input_tokens'] = cacheWriteTokens;
  }
  if (request.streamed && request.timeToFirstByteMs !== undefined) {
    attributes['gen_ai.response.time_to_first_chunk'] = request.timeToFirstByteMs / 1000;
  }
  const error = requestError(request);
  if (error) attributes['error.type'] = error;
  if (request.keyId) attributes['bedrock_passthrough.key_id'] = request.keyId;
  if (request.deploymentId) attributes['bedrock_passthrough.deployment'] = request.deploymentId;
  if (request.region) attributes['bedrock_passthrough.region'] = request.region;
  if (typeof request.costUsd === 'number') attributes['bedrock_passthrough.cost_usd'] = request.costUsd;
  if (request.timeToFirstByteMs !== undefined) attributes['bedrock_passthrough.time_to_first_byte_ms'] = request.timeToFirstByteMs;
  if (request.overheadMs !== undefined) attributes['bedrock_passthrough.overhead_ms'] = request.overheadMs;
  return attributes;
}

/**
 * The error type when the request failed for its client: an error status, or a stream that broke after its head
 * went out (status 200, outcome `upstream-failed`). A client that went away is not the gateway's error.
 */
export function requestError(request: Pick<TracedRequest, 'status' | 'outcome' | 'errorType'>): string | undefined {
  if (request.status < 400 && request.outcome !== 'upstream-failed') return undefined;
  return request.errorType ?? (request.status >= 400 ? String(request.status) : '_OTHER');
}

/** `{operation} {deployment}`: which Bedrock call went where. */
export function attemptSpanName(request: Pick<TracedRequest, 'operation'>, attempt: TracedAttempt): string {
  return `${request.operation} ${attempt.deploymentId}`;
}

/** An attempt span's attributes; `index` counts from 1. */
export function attemptAttributes(request: TracedRequest, attempt: TracedAttempt, index: number): SpanAttributes {
  const attributes: SpanAttributes = {
    'bedrock_passthrough.attempt': index,
    'bedrock_passthrough.deployment': attempt.deploymentId,
    'bedrock_passthrough.model_name': attempt.modelName,
    'bedrock_passthrough.outcome': attempt.outcome,
    'bedrock_passthrough.latency_ms': attempt.latencyMs,
  };
  // The record knows the model id and region of the deployment that served only.
  if (attempt.deploymentId === request.deploymentId) {
    if (request.modelId) attributes['bedrock_passthrough.model_id'] = request.modelId;
    if (request.region) attributes['bedrock_passthrough.region'] = request.region;
  }
  if (attempt.status !== undefined) attributes['http.response.status_code'] = attempt.status;
  if (attempt.outcome === 'failed') attributes['error.type'] = attempt.errorType ?? '_OTHER';
  return attributes;
}
