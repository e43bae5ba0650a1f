/**
 * Usage of a ConverseStream answer: the `metadata` event that closes the stream carries it. Every other frame is
 * passed over on one header comparison; the one `metadata` frame is parsed as it passes.
 */
import type { EventStreamFrame } from '../aws/eventstream';
import { readConverseUsage } from './converse-usage';
import { parseJsonObject } from './json';
import { chooseUsage, NO_USAGE } from './precedence';
import type { UsageReading } from './reading';
import { ResponseHead, type ResponseHeaders } from './response-headers';
import type { UsageExtractor, UsageResult } from './types';

const METADATA_EVENT_TYPE = 'metadata';

/** Taps one ConverseStream answer for its `metadata` event. */
export class ConverseStreamUsageExtractor implements UsageExtractor {
  private readonly head = new ResponseHead();
  private metadataUsage: UsageReading | undefined;

  observeHeaders(headers: ResponseHeaders): void {
    this.head.observe(headers);
  }

  observeBody(_body: Buffer): void {
    // A streamed answer has no plain body.
  }

  observeFrame(frame: EventStreamFrame): void {
    if (frame.headers[':event-type']?.value !== METADATA_EVENT_TYPE) return;
    const event = parseJsonObject(frame.body);
    this.metadataUsage = event && readConverseUsage(event);
  }

  result(): UsageResult {
    if (this.head.isError) return NO_USAGE;
    return chooseUsage({ own: { reading: this.metadataUsage, source: 'stream' }, headers: this.head.usage });
  }
}
