/**
 * Usage of a plain (non-streamed) answer, InvokeModel or Converse: the body's own usage, else Bedrock's headers.
 */
import type { EventStreamFrame } from '../aws/eventstream';
import { parseJsonObject, type JsonObject } from './json';
import { chooseUsage, NO_USAGE } from './precedence';
import { isCompleteReading, type UsageReading } from './reading';
import { ResponseHead, type ResponseHeaders } from './response-headers';
import type { UsageExtractor, UsageResult } from './types';

/** Reads the usage of a parsed body, or `undefined` when it reports none. */
export type BodyUsageReader = (body: JsonObject) => UsageReading | undefined;

/**
 * Bodies above this size are not parsed when the headers already give complete counts: a large InvokeModel body is
 * an embeddings batch (up to 25 MB), whose parse would block the event loop to learn what the headers say.
 */
export const LARGE_BODY_BYTES = 1024 * 1024;

/** Keeps the body as it passes and reads it only when `result()` asks, once. */
export class BodyUsageExtractor implements UsageExtractor {
  private readonly head = new ResponseHead();
  private body: Buffer | undefined;
  private bodyReading: { readonly reading: UsageReading | undefined } | undefined;

  constructor(private readonly readBody: BodyUsageReader) {}

  observeHeaders(headers: ResponseHeaders): void {
    this.head.observe(headers);
  }

  observeBody(body: Buffer): void {
    this.body = body;
    this.bodyReading = undefined;
  }

  observeFrame(_frame: EventStreamFrame): void {
    // A plain answer has no frames.
  }

  result(): UsageResult {
    if (this.head.isError) return NO_USAGE;
    return chooseUsage({ own: { reading: this.readOwnUsage(), source: 'body' }, headers: this.head.usage });
  }

  private readOwnUsage(): UsageReading | undefined {
    if (this.bodyReading) return this.bodyReading.reading;
    const body = this.body;
    if (!body) return undefined;
    const worthParsing = body.length <= LARGE_BODY_BYTES || !isCompleteReading(this.head.usage);
    const parsed = worthParsing ? parseJsonObject(body) : undefined;
    const reading = parsed && this.readBody(parsed);
    // A body is the whole answer: what it reports is final.
    this.bodyReading = { reading: reading && { ...reading, final: true } };
    this.body = undefined;
    return this.bodyReading.reading;
  }
}
