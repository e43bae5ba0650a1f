/** Event-stream frames in the shapes Bedrock sends them. */
import type { AgentRuntimeStreamExceptionType, StreamExceptionType } from './bedrock-errors';
import { encodeEventStreamMessage } from './eventstream';

/**
 * A frame with a JSON payload. Headers come in the order real Bedrock streams use: the type header
 * (`:event-type` or `:exception-type`), `:content-type`, `:message-type`.
 */
function encodeJsonFrame(messageType: 'event' | 'exception', type: string, payload: unknown): Buffer {
  return encodeEventStreamMessage({
    headers: {
      [`:${messageType}-type`]: { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: messageType },
    },
    body: Buffer.from(JSON.stringify(payload), 'utf8'),
  });
}

/** An event frame (`:message-type event`), such as `chunk` or `contentBlockDelta`. */
export function encodeEventFrame(eventType: string, payload: unknown): Buffer {
  return encodeJsonFrame('event', eventType, payload);
}

/**
 * An exception frame (`:message-type exception`), as Bedrock ends a stream that fails after it started;
 * AWS SDKs raise it as the matching exception class (`throttlingException` as `ThrottlingException`).
 */
export function encodeExceptionFrame(exceptionType: StreamExceptionType | AgentRuntimeStreamExceptionType, message: string): Buffer {
  return encodeJsonFrame('exception', exceptionType, { message });
}
