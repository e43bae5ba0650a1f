/**
 * Bedrock's error wire format: an HTTP status, an `x-amzn-ErrorType` header naming the exception, and a JSON
 * body `{"message": ...}`. AWS SDKs (JS v3, boto3) pick the exception class from the header, so every error we
 * send must use this format with the right names. Statuses come from botocore's Bedrock Runtime service model.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** Every error type we may send, with its HTTP status. */
export const BEDROCK_ERROR_STATUS = {
  // Modeled by the Bedrock Runtime service.
  AccessDeniedException: 403,
  ConflictException: 400,
  InternalServerException: 500,
  ModelErrorException: 424,
  ModelNotReadyException: 429,
  ModelStreamErrorException: 424,
  ModelTimeoutException: 408,
  ResourceNotFoundException: 404,
  ServiceQuotaExceededException: 400,
  ServiceUnavailableException: 503,
  ThrottlingException: 429,
  ValidationException: 400,
  // Modeled by the Bedrock Agent Runtime service only (statuses from its model).
  BadGatewayException: 502,
  DependencyFailedException: 424,
  // Sent by AWS's front door before a request reaches the service.
  IncompleteSignatureException: 403,
  InvalidSignatureException: 403,
  MissingAuthenticationTokenException: 403,
  UnknownOperationException: 404,
  UnrecognizedClientException: 403,
} as const;

/** The name of a Bedrock error, as carried by `x-amzn-ErrorType`. */
export type BedrockErrorType = keyof typeof BEDROCK_ERROR_STATUS;

/**
 * Exceptions that Bedrock sends inside an InvokeModelWithResponseStream event stream, as `:exception-type`
 * frames (the `ResponseStream` union of the service model).
 */
export const INVOKE_STREAM_EXCEPTION_TYPES = [
  'internalServerException',
  'modelStreamErrorException',
  'validationException',
  'throttlingException',
  'modelTimeoutException',
  'serviceUnavailableException',
] as const;

/** The exceptions of a ConverseStream event stream (`ConverseStreamOutput`): the same but `modelTimeoutException`. */
export const CONVERSE_STREAM_EXCEPTION_TYPES = [
  'internalServerException',
  'modelStreamErrorException',
  'validationException',
  'throttlingException',
  'serviceUnavailableException',
] as const;

/** The `:exception-type` of an exception frame. */
export type StreamExceptionType = (typeof INVOKE_STREAM_EXCEPTION_TYPES)[number];

/**
 * Statuses of the Bedrock Agent Runtime service (retrieve, retrieve-and-generate, invoke-agent, rerank), where two
 * exceptions that Bedrock Runtime also models carry other statuses: `ConflictException` is 409 there (400 in Bedrock
 * Runtime) and `ModelNotReadyException` 424 (429 in Bedrock Runtime).
 */
export const BEDROCK_AGENT_RUNTIME_ERROR_STATUS: { readonly [Type in BedrockErrorType]: number } = {
  ...BEDROCK_ERROR_STATUS,
  ConflictException: 409,
  ModelNotReadyException: 424,
};

/** The exceptions of a RetrieveAndGenerateStream event stream (`RetrieveAndGenerateStreamResponseOutput`). */
export const RETRIEVE_AND_GENERATE_STREAM_EXCEPTION_TYPES = [
  'internalServerException',
  'validationException',
  'resourceNotFoundException',
  'serviceQuotaExceededException',
  'throttlingException',
  'accessDeniedException',
  'conflictException',
  'dependencyFailedException',
  'badGatewayException',
] as const;

/** The exceptions of an InvokeAgent event stream (the Bedrock Agent Runtime `ResponseStream` union): RetrieveAndGenerateStream's and `modelNotReadyException`. */
export const INVOKE_AGENT_STREAM_EXCEPTION_TYPES = [...RETRIEVE_AND_GENERATE_STREAM_EXCEPTION_TYPES, 'modelNotReadyException'] as const;

/** The `:exception-type` of an exception frame in a Bedrock Agent Runtime event stream. */
export type AgentRuntimeStreamExceptionType = (typeof INVOKE_AGENT_STREAM_EXCEPTION_TYPES)[number];

/**
 * Sends an error in Bedrock's format and ends the response.
 * @param errorTypeHeader - the `x-amzn-ErrorType` value: the type name, optionally followed by `:` and a namespace as AWS sends it
 */
export function writeBedrockError(
  res: ServerResponse,
  status: number,
  errorTypeHeader: string,
  message: string,
  extraHeaders: OutgoingHttpHeaders = {},
): void {
  const body = JSON.stringify({ message });
  res.writeHead(status, {
    ...extraHeaders,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-amzn-errortype': errorTypeHeader,
  });
  res.end(body);
}
