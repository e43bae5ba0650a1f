/**
 * bedrock-passthrough: an embeddable Amazon Bedrock gateway for Express/Connect apps.
 *
 * This module is the whole public surface; everything else under `lib/` is internal.
 * @packageDocumentation
 */
export { signRequest, isNeverSigned } from './aws/sigv4';
export type { AwsCredentials, RequestToSign, SigningParams, SigningHeaders, SignableHeaderValue } from './aws/sigv4';
export { EventStreamDecoder, EventStreamError, encodeEventStreamMessage } from './aws/eventstream';
export type {
  EventStreamErrorCode,
  EventStreamFrame,
  EventStreamHeaderValue,
  EventStreamHeaders,
  EventStreamLimits,
  EventStreamMessage,
} from './aws/eventstream';
