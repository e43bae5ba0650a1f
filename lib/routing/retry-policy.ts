/** Which failed attempts are tried again, and after how long. */

/** Throttling and server-side failures: another deployment (or a moment later, the same one) may well succeed. */
const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);

/** Exception frames that, as a stream's first frame, mean the same as the retryable statuses. */
const RETRYABLE_STREAM_EXCEPTIONS = new Set(['throttlingException', 'serviceUnavailableException', 'internalServerException']);

/** Client errors (400, 403, 404, 408, 413...) are the request's fault: trying it elsewhere gives the same answer. */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

export function isRetryableStreamException(exceptionType: string | undefined): boolean {
  return exceptionType !== undefined && RETRYABLE_STREAM_EXCEPTIONS.has(exceptionType);
}

/** `retry-after` as seconds or an HTTP date, in milliseconds from now; undefined when absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined, now: number): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const SWITCH_DELAY_MS = 25;
const SAME_DEPLOYMENT_DELAY_MS = 250;
const MAX_DELAY_MS = 10_000;

/**
 * How long to wait before attempt number `retry` (1 for the first retry). Moving to another deployment needs only a
 * short jittered pause; trying the same one again backs off exponentially and honours its `retry-after`. Jitter
 * ("full jitter") keeps clients that failed together from retrying together.
 */
export function backoffMs(retry: number, sameDeployment: boolean, retryAfter: number | undefined, random: () => number): number {
  if (!sameDeployment) return Math.floor(random() * SWITCH_DELAY_MS * 2 ** (retry - 1));
  const exponential = Math.min(MAX_DELAY_MS, SAME_DEPLOYMENT_DELAY_MS * 2 ** (retry - 1));
  const jittered = exponential / 2 + random() * (exponential / 2);
  return Math.min(MAX_DELAY_MS, Math.max(jittered, retryAfter ?? 0));
}
