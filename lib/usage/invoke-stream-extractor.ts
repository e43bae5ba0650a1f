/**
 * Usage of an InvokeModelWithResponseStream answer, tapped on the side of a stream that may run to thousands of
 * frames.
 *
 * Per frame, the tap reads one header and keeps a reference: it decodes nothing but the first chunk. Usage only ever
 * sits at the two ends of a stream. The first chunk holds the input counts (Anthropic's `message_start`, Llama's
 * `prompt_token_count`, Titan's `inputTextTokenCount`) and is decoded as it passes, so its network buffer is not held.
 * The last chunks hold the final counts (Anthropic's `message_delta` then `message_stop`, the closing chunk of every
 * other family) and Bedrock's `amazon-bedrock-invocationMetrics`; since any chunk may turn out to be the last, the
 * latest few are kept by reference and decoded only in `result()`. Running totals make this work for abandoned
 * streams too: the latest Llama or Titan chunk carries the output count so far.
 */
import type { EventStreamFrame } from '../aws/eventstream';
import { CHUNK_EVENT_TYPE, decodeChunkEvent } from './chunk-payload';
import type { ModelFamily } from './families/family';
import { readInvocationMetrics } from './invocation-metrics';
import type { JsonObject } from './json';
import { familyOfShape } from './model-family';
import { chooseUsage, NO_USAGE } from './precedence';
import { mergeReadings, type UsageReading } from './reading';
import { ResponseHead, type ResponseHeaders } from './response-headers';
import type { UsageExtractor, UsageResult } from './types';

/**
 * How many of the latest chunks are kept. Anthropic's final output count is in the next-to-last chunk
 * (`message_delta` before `message_stop`); one more leaves room for a trailing event such as a `ping`.
 */
export const KEPT_LAST_CHUNKS = 3;

/** Taps one InvokeModelWithResponseStream answer: a header check per frame, decoding deferred to `result()`. */
export class InvokeStreamUsageExtractor implements UsageExtractor {
  private readonly head = new ResponseHead();
  private chunksSeen = 0;
  private firstEvent: JsonObject | undefined;
  /** Chunk number n (counted from 1, the first excluded) sits at `n % KEPT_LAST_CHUNKS`. */
  private readonly lastChunks: Array<EventStreamFrame | undefined> = new Array<EventStreamFrame | undefined>(KEPT_LAST_CHUNKS);

  /** @param family The family the model id names; `undefined` to recognize it from the events. */
  constructor(private readonly family: ModelFamily | undefined) {}

  observeHeaders(headers: ResponseHeaders): void {
    this.head.observe(headers);
  }

  observeBody(_body: Buffer): void {
    // A streamed answer has no plain body.
  }

  observeFrame(frame: EventStreamFrame): void {
    // Exception frames have no `:event-type` and so are passed over, like anything else that is not model output.
    if (frame.headers[':event-type']?.value !== CHUNK_EVENT_TYPE) return;
    const chunkNumber = ++this.chunksSeen;
    if (chunkNumber === 1) this.firstEvent = decodeChunkEvent(frame);
    else this.lastChunks[chunkNumber % KEPT_LAST_CHUNKS] = frame;
  }

  result(): UsageResult {
    if (this.head.isError) return NO_USAGE;
    const events = this.keptEvents();
    const family = this.family ?? firstRecognizedFamily(events);
    let own: UsageReading | undefined;
    let invocationMetrics: UsageReading | undefined;
    for (const event of events) {
      own = mergeReadings(own, family?.read(event));
      invocationMetrics = readInvocationMetrics(event) ?? invocationMetrics;
    }
    return chooseUsage({ own: { reading: own, source: 'stream' }, invocationMetrics, headers: this.head.usage });
  }

  /** The decoded events of the first and the latest chunks, in stream order; malformed ones are left out. */
  private keptEvents(): JsonObject[] {
    const events: JsonObject[] = this.firstEvent ? [this.firstEvent] : [];
    for (let chunkNumber = Math.max(2, this.chunksSeen - KEPT_LAST_CHUNKS + 1); chunkNumber <= this.chunksSeen; chunkNumber++) {
      const frame = this.lastChunks[chunkNumber % KEPT_LAST_CHUNKS];
      const event = frame && decodeChunkEvent(frame);
      if (event) events.push(event);
    }
    return events;
  }
}

function firstRecognizedFamily(events: readonly JsonObject[]): ModelFamily | undefined {
  for (const event of events) {
    const family = familyOfShape(event);
    if (family) return family;
  }
  return undefined;
}
