/**
 * Counts the tokens of one answer, for the per-minute `tpm` accounting of deployments: from Bedrock's token-count
 * headers, a Converse body's `usage`, ConverseStream's `metadata` event, or the `amazon-bedrock-invocationMetrics`
 * of an InvokeModel stream's last chunk. Input, output and prompt-cache tokens all count.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { EventStreamFrame } from '../aws/eventstream';

/** Converse answers are small JSON; a larger body is not kept just to count. */
const MAX_BODY_BYTES = 256 * 1024;

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

function headerCount(headers: IncomingHttpHeaders, name: string): number {
  return count(Number(headers[name]));
}

function converseUsageTokens(usage: unknown): number | undefined {
  if (typeof usage !== 'object' || usage === null) return undefined;
  const fields = usage as Record<string, unknown>;
  return (
    count(fields['totalTokens']) ||
    count(fields['inputTokens']) + count(fields['outputTokens']) + count(fields['cacheReadInputTokens']) + count(fields['cacheWriteInputTokens'])
  );
}

function parseJson(bytes: Uint8Array | Buffer): unknown {
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    return undefined;
  }
}

export class TokenTally {
  private fromHeaders = 0;
  private body: Buffer[] = [];
  private bodySize = 0;
  private metadataTokens: number | undefined;
  private lastChunk: EventStreamFrame | undefined;

  /** Bedrock's `x-amzn-bedrock-*-token-count` response headers (InvokeModel). */
  observeHeaders(headers: IncomingHttpHeaders): void {
    this.fromHeaders =
      headerCount(headers, 'x-amzn-bedrock-input-token-count') +
      headerCount(headers, 'x-amzn-bedrock-output-token-count') +
      headerCount(headers, 'x-amzn-bedrock-cache-read-input-token-count') +
      headerCount(headers, 'x-amzn-bedrock-cache-write-input-token-count');
  }

  /** A chunk of a plain (non-streamed) answer. */
  readonly observeChunk = (chunk: Buffer): void => {
    if (this.bodySize + chunk.length > MAX_BODY_BYTES) return;
    this.body.push(chunk);
    this.bodySize += chunk.length;
  };

  /** A frame of a stream: only the one that carries the totals is looked into. */
  readonly observeFrame = (frame: EventStreamFrame): void => {
    const eventType = frame.headers[':event-type']?.value;
    if (eventType === 'metadata') this.metadataTokens = converseUsageTokens((parseJson(frame.body) as { usage?: unknown })?.usage);
    else if (eventType === 'chunk') this.lastChunk = frame;
  };

  /** The answer's tokens, as far as it told. */
  total(): number {
    if (this.fromHeaders > 0) return this.fromHeaders;
    if (this.metadataTokens !== undefined) return this.metadataTokens;
    if (this.lastChunk) return invocationMetricsTokens(this.lastChunk);
    if (this.bodySize > 0) return converseUsageTokens((parseJson(Buffer.concat(this.body, this.bodySize)) as { usage?: unknown })?.usage) ?? 0;
    return 0;
  }
}

function invocationMetricsTokens(chunk: EventStreamFrame): number {
  const payload = parseJson(chunk.body) as { bytes?: unknown } | undefined;
  if (typeof payload?.bytes !== 'string') return 0;
  const event = parseJson(Buffer.from(payload.bytes, 'base64')) as Record<string, unknown> | undefined;
  const metrics = event?.['amazon-bedrock-invocationMetrics'] as Record<string, unknown> | undefined;
  if (!metrics) return 0;
  return (
    count(metrics['inputTokenCount']) +
    count(metrics['outputTokenCount']) +
    count(metrics['cacheReadInputTokenCount']) +
    count(metrics['cacheWriteInputTokenCount'])
  );
}
