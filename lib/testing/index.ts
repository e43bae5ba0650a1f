/**
 * `bedrock-passthrough/testing`: a local Bedrock Runtime emulator for your tests and ours.
 *
 * It verifies SigV4 with the AWS SDK's own signer, so this entry needs the optional peer dependencies
 * `@smithy/signature-v4` and `@aws-crypto/sha256-js`; the main entry never loads them.
 * @packageDocumentation
 */
export { startBedrockEmulator, EMULATOR_API_KEY, EMULATOR_CREDENTIALS } from './emulator';
export type { BedrockEmulator, EmulatorOptions, RecordedAuth, RecordedRequest } from './emulator';
export type { Behaviour, EmulatedOperation } from './behaviours';
export type { EmulatedUsage } from './model-responses';
export { BEDROCK_ERROR_STATUS, CONVERSE_STREAM_EXCEPTION_TYPES, INVOKE_STREAM_EXCEPTION_TYPES } from '../aws/bedrock-errors';
export type { BedrockErrorType, StreamExceptionType } from '../aws/bedrock-errors';
