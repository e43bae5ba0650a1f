/**
 * `bedrock-passthrough/testing`: a local Bedrock Runtime and Bedrock Agent Runtime emulator for your tests and ours.
 *
 * It verifies SigV4 with the AWS SDK's own signer, so this entry needs the optional peer dependencies
 * `@smithy/signature-v4` and `@aws-crypto/sha256-js`; the main entry never loads them.
 * @packageDocumentation
 */
export { startBedrockEmulator, EMULATOR_API_KEY, EMULATOR_CREDENTIALS } from './emulator';
export type { BedrockEmulator, EmulatorOptions, RecordedAuth, RecordedRequest } from './emulator';
export type { Behaviour } from './behaviours';
export { EMULATED_OPERATIONS, STREAMING_OPERATIONS, streamExceptionTypes } from './operations';
export type { EmulatedOperation, EmulatedStreamExceptionType } from './operations';
export type { EmulatedService } from './emulated-error';
export type { AsyncInvokeJobs, AsyncInvokeStatus, EmulatedAsyncInvoke } from './async-invokes';
export { DEFAULT_KNOWLEDGE_BASE_DOCUMENTS } from './knowledge-base-responses';
export type { KnowledgeBaseDocument } from './knowledge-base-responses';
export type { EmulatedUsage } from './model-responses';
export {
  BEDROCK_AGENT_RUNTIME_ERROR_STATUS,
  BEDROCK_ERROR_STATUS,
  CONVERSE_STREAM_EXCEPTION_TYPES,
  INVOKE_AGENT_STREAM_EXCEPTION_TYPES,
  INVOKE_STREAM_EXCEPTION_TYPES,
  RETRIEVE_AND_GENERATE_STREAM_EXCEPTION_TYPES,
} from '../aws/bedrock-errors';
export type { AgentRuntimeStreamExceptionType, BedrockErrorType, StreamExceptionType } from '../aws/bedrock-errors';
