/**
 * What Bedrock's response head says about usage: the token counts InvokeModel puts in `x-amzn-bedrock-*` headers
 * (for every model family), and whether the answer is an error at all.
 */
import type { UsageReading } from './reading';

/** Response headers as `node:http` and undici give them: lower-case names. */
export type ResponseHeaders = Readonly<Record<string, string | string[] | undefined>>;

const INPUT_TOKENS = 'x-amzn-bedrock-input-token-count';
const OUTPUT_TOKENS = 'x-amzn-bedrock-output-token-count';
const CACHE_READ_TOKENS = 'x-amzn-bedrock-cache-read-input-token-count';
const CACHE_WRITE_TOKENS = 'x-amzn-bedrock-cache-write-input-token-count';
/** Bedrock names the error of every failed call in this header; a successful answer never carries it. */
const ERROR_TYPE = 'x-amzn-errortype';

/** Whether the response is one of Bedrock's errors, whose body holds a message and no usage. */
export function isErrorResponse(headers: ResponseHeaders): boolean {
  return headerValue(headers, ERROR_TYPE) !== undefined;
}

/**
 * The token counts of Bedrock's response headers, or `undefined` when there are none (streams, Converse). Bedrock
 * sends them once the whole answer is computed, so they are final; an absent output count means none was generated
 * (embeddings), and absent cache counts mean the cache was not used.
 */
export function readHeaderUsage(headers: ResponseHeaders): UsageReading | undefined {
  const inputTokens = headerCount(headers, INPUT_TOKENS);
  const outputTokens = headerCount(headers, OUTPUT_TOKENS);
  if (inputTokens === undefined && outputTokens === undefined) return undefined;
  return {
    inputTokens,
    outputTokens: inputTokens !== undefined ? (outputTokens ?? 0) : outputTokens,
    cacheReadTokens: headerCount(headers, CACHE_READ_TOKENS),
    cacheWriteTokens: headerCount(headers, CACHE_WRITE_TOKENS),
    final: true,
  };
}

function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const DECIMAL_COUNT = /^\s*\d+\s*$/;

function headerCount(headers: ResponseHeaders, name: string): number | undefined {
  const value = headerValue(headers, name);
  return value !== undefined && DECIMAL_COUNT.test(value) ? Number(value) : undefined;
}

/** The response head of one answer, as the extractors keep it. */
export class ResponseHead {
  private errored = false;
  private counts: UsageReading | undefined;

  /** Records the head; an error's head yields no counts. */
  observe(headers: ResponseHeaders): void {
    this.errored = isErrorResponse(headers);
    this.counts = this.errored ? undefined : readHeaderUsage(headers);
  }

  /** Whether the answer is a Bedrock error (no usage at all, whatever its body says). */
  get isError(): boolean {
    return this.errored;
  }

  /** The header counts, if the head had any. */
  get usage(): UsageReading | undefined {
    return this.counts;
  }
}
