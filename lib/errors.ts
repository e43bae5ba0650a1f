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

/** Sends `error` unless the response has started; then the connection is cut, the only honest signal left. */
export function sendGatewayError(res: ServerResponse, error: GatewayError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  writeBedrockError(res, error.status, error.type, error.message, error.headers);
}
