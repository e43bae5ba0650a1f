/**
 * Errors the gateway itself sends. Each is a value of one class, named with Bedrock's own error types so that
 * AWS SDKs raise their usual exceptions (`ValidationException`, `AccessDeniedException`...), and turned into
 * Bedrock's wire format in one place, {@link sendGatewayError}.
 */
import type { ServerResponse } from 'node:http';
import { BEDROCK_ERROR_STATUS, writeBedrockError, type BedrockErrorType } from './aws/bedrock-errors';

/**
 * An error to send to the client in Bedrock's format. Hosts may throw it from their own authenticator to choose
 * what the client gets.
 */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  /** The HTTP status: Bedrock's status for the type unless given. */
  readonly status: number;

  constructor(
    readonly type: BedrockErrorType,
    message: string,
    status?: number,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.status = status ?? BEDROCK_ERROR_STATUS[type];
  }
}

/** The most characters of a client's own input (a model id, a path) an error message repeats. */
const MAX_ECHOED_CHARACTERS = 200;

/**
 * A client's input as an error message repeats it: whole when short, else its start and a mark. The client knows what
 * it sent; repeating kilobytes of it (up to the header limit) would only lengthen every log line and answer.
 */
export function echoed(input: string): string {
  return input.length <= MAX_ECHOED_CHARACTERS ? input : `${input.slice(0, MAX_ECHOED_CHARACTERS)}… (${input.length} characters)`;
}

/** Sends `error` unless the response has started; then the response is cut, the only honest signal left. */
export function sendGatewayError(res: ServerResponse, error: GatewayError): void {
  if (res.headersSent) {
    cutResponse(res);
    return;
  }
  writeBedrockError(res, error.status, error.type, error.message, error.headers);
}

/**
 * Ends a response that cannot be completed, so that the client sees it fail: on HTTP/1.x by closing its connection,
 * on HTTP/2 (Node's compatibility API) by resetting its stream with INTERNAL_ERROR.
 */
export function cutResponse(res: ServerResponse): void {
  // Only HTTP/2's response has a stream. Destroyed without an error, the stream is reset with NO_ERROR, which clients
  // read as a complete answer.
  if ('stream' in res) res.destroy(new Error('the gateway could not complete the answer'));
  else res.destroy();
}
