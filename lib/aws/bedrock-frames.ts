/** Event-stream frames in the shapes Bedrock sends them. */
import type { StreamExceptionType } from './bedrock-errors';
import { encodeEventStreamMessage } from './eventstream';

const JSON_CONTENT_TYPE = { type: 'string', value: 'application/json' } as const;

/**
 * An event frame (`:message-type event`) with a JSON payload. Headers come in the order real Bedrock
 * streams use: `:event-type`, `:content-type`, `:message-type`.
 */
export function encodeEventFrame(eventType: string, payload: unknown): Buffer {
  return encodeEventStreamMessage({
    headers: {
      ':event-type': { type: 'string', value: eventType },
      ':content-type': JSON_CONTENT_TYPE,
      ':message-type': { type: 'string', value: 'event' },
    },
    body: Buffer.from(JSON.stringify(payload), 'utf8'),
  });
}

/**
 * An exception frame (`:message-type exception`), as Bedrock ends a stream that fails after it started;
 * AWS SDKs raise it as the matching exception class (`throttlingException` as `ThrottlingException`).
 */
export function encodeExceptionFrame(exceptionType: StreamExceptionType, message: string): Buffer {
  return encodeEventStreamMessage({
    headers: {
      ':exception-type': { type: 'string', value: exceptionType },
      ':content-type': JSON_CONTENT_TYPE,
      ':message-type': { type: 'string', value: 'exception' },
    },
    body: Buffer.from(JSON.stringify({ message }), 'utf8'),
  });
}
