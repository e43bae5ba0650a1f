/** Token usage of one answer, as the gateway accounts for it. */

/**
 * Tokens of one call. `inputTokens` excludes prompt-cache reads and writes, as Bedrock reports it (Converse's
 * `inputTokens`, Anthropic's `input_tokens`); the cache counts are separate.
 */
export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  /** All tokens written to the prompt cache (5-minute plus 1-hour). */
  readonly cacheWriteTokens: number;
  /** The 5-minute and 1-hour parts of `cacheWriteTokens`, when Bedrock reports the split (they are priced apart). */
  readonly cacheWrite5mTokens?: number | undefined;
  readonly cacheWrite1hTokens?: number | undefined;
}

/** Where the counts came from: the answer's own usage, Bedrock's invocation metrics, its headers, or nowhere. */
export type UsageSource = 'body' | 'stream' | 'invocation-metrics' | 'headers' | 'none';

/** What an extractor has read of one answer. */
export interface UsageResult {
  readonly usage: TokenUsage | undefined;
  readonly source: UsageSource;
  /** False when the answer ended before its final usage was reported. */
  readonly complete: boolean;
}

/** Reads usage from an answer as it passes, without changing or holding back a byte of it. */
export interface UsageExtractor {
  /** The response head: Bedrock's `x-amzn-bedrock-*-token-count` headers are the fallback for any model family. */
  observeHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): void;
  /** The whole body of a plain (non-streamed) answer. */
  observeBody(body: Buffer): void;
  /** One frame of a streamed answer, in order. Called for every frame: keep the per-frame cost tiny. */
  observeFrame(frame: import('../aws/eventstream').EventStreamFrame): void;
  /**
   * What was seen so far. Callable at any time: a stream the client abandoned or that failed midway still yields the
   * counts its frames carried (`complete` false when the answer ended before its final usage was reported).
   */
  result(): UsageResult;
}
