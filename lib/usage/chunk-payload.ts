/**
 * The model event inside an InvokeModelWithResponseStream `chunk` frame. Bedrock wraps each event the model emits as
 * `{"bytes": "<base64 of the event's JSON>", "p": "<padding>"}`: getting at it costs two JSON parses and a base64
 * decode, which is why the stream tap decodes only the few chunks that can hold usage.
 */
import type { EventStreamFrame } from '../aws/eventstream';
import { parseJsonObject, type JsonObject } from './json';

/** The frame's `:event-type` for model output; exceptions carry `:exception-type` instead. */
export const CHUNK_EVENT_TYPE = 'chunk';

/** The decoded model event of a `chunk` frame, or `undefined` when the payload is not one. */
export function decodeChunkEvent(frame: EventStreamFrame): JsonObject | undefined {
  const bytes = parseJsonObject(frame.body)?.['bytes'];
  return typeof bytes === 'string' ? parseJsonObject(Buffer.from(bytes, 'base64')) : undefined;
}
