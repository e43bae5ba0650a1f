// What counts as a well-formed answer, for each of the four operations: the bodies the soak sends, and the checks of
// what comes back (a whole answer with its usage, a whole event stream ending in its last event or an exception
// frame, or an error in Bedrock's format). The emulator's recorded answers are read with the same functions.
import { EventStreamDecoder } from '../../dist/aws/eventstream.js';

export const OPERATIONS = ['invoke', 'invoke-with-response-stream', 'converse', 'converse-stream'];
export const isStream = (operation) => operation.endsWith('stream');

/**
 * The request body for `operation`, carrying `tag` in its text: the gateway forwards bodies byte for byte, so the tag
 * finds the request among the emulator's records.
 */
export function requestBody(operation, tag) {
  const text = `Hello from the soak, request ${tag}.`;
  return operation.startsWith('converse')
    ? { messages: [{ role: 'user', content: [{ text }] }] }
    : { anthropic_version: 'bedrock-2023-05-31', max_tokens: 50, messages: [{ role: 'user', content: text }] };
}

/** A request's tag as {@link requestBody} wrote it, or undefined. */
export function tagIn(body) {
  return /request (soak#\d+)\./.exec(body.toString('utf8'))?.[1];
}

/** Whether a whole plain (non-stream) answer of `operation` parses and reports usage. */
export function plainAnswerHasUsage(bodyText) {
  try {
    const usage = JSON.parse(bodyText).usage;
    return typeof usage === 'object' && usage !== null;
  } catch {
    return false;
  }
}

/**
 * Reads an event stream's bytes: `{ frames, error }` where `error` says why the bytes are not a whole event stream
 * (a bad frame, or the end inside one).
 */
export function decodeEventStream(bytes) {
  const decoder = new EventStreamDecoder();
  const frames = [...decoder.push(bytes)];
  const error = decoder.end();
  return { frames, error: error?.message };
}

/** The kind of a stream's frame: `event:<type>` or `exception:<type>`, from its `:message-type` headers. */
export function frameKind(frame) {
  const messageType = frame.headers[':message-type']?.value;
  return messageType === 'exception' ? `exception:${frame.headers[':exception-type']?.value}` : `event:${frame.headers[':event-type']?.value}`;
}

/** Whether `frame` is the one that ends a complete stream of `operation`, and carries its usage. */
export function isFinalEvent(operation, frame) {
  const kind = frameKind(frame);
  if (operation === 'converse-stream') return kind === 'event:metadata';
  if (kind !== 'event:chunk') return false;
  try {
    const chunk = JSON.parse(Buffer.from(JSON.parse(Buffer.from(frame.body).toString('utf8')).bytes, 'base64').toString('utf8'));
    return 'amazon-bedrock-invocationMetrics' in chunk;
  } catch {
    return false;
  }
}

/** Whether an answer the emulator sent (a recorded request) was whole and reported usage. */
export function emulatorAnswerHadUsage(recorded) {
  if (recorded.outcome !== 'completed' || recorded.status !== 200 || !recorded.responseBody) return false;
  if (!isStream(recorded.operation)) return plainAnswerHasUsage(recorded.responseBody.toString('utf8'));
  const { frames, error } = decodeEventStream(recorded.responseBody);
  const last = frames.at(-1);
  return error === undefined && last !== undefined && isFinalEvent(recorded.operation, last);
}

/**
 * Classifies a whole HTTP answer of the gateway: `complete` (a 2xx with its usage, or a stream ending with its final
 * event), `stream-exception:<type>` (a 2xx stream ending with an exception frame), `error:<status>:<type>` (Bedrock's
 * error format: `x-amzn-errortype` and a JSON body with a `message`), or `malformed:<why>`.
 */
export function classifyAnswer(operation, status, headers, body) {
  if (status < 200 || status >= 300) {
    const type = headers['x-amzn-errortype'];
    let message;
    try {
      message = JSON.parse(body.toString('utf8')).message;
    } catch {
      return `malformed:${status} error body is not JSON`;
    }
    if (typeof type !== 'string' || type === '') return `malformed:${status} without x-amzn-errortype`;
    if (typeof message !== 'string' || message === '') return `malformed:${status} without a message`;
    return `error:${status}:${type.split(':')[0]}`;
  }
  if (!isStream(operation)) return plainAnswerHasUsage(body.toString('utf8')) ? 'complete' : 'malformed:2xx body without usage';
  const { frames, error } = decodeEventStream(body);
  if (error) return `malformed:bad event stream (${error})`;
  const last = frames.at(-1);
  if (!last) return 'malformed:empty event stream';
  const kind = frameKind(last);
  if (kind.startsWith('exception:')) return `stream-${kind}`;
  if (frames.some((frame) => frameKind(frame).startsWith('exception:'))) return 'malformed:exception frame before the end';
  return isFinalEvent(operation, last) ? 'complete' : `malformed:stream ends with ${kind}, not its final event`;
}
