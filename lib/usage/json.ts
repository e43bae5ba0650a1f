/**
 * Defensive reading of the JSON that models answer: nothing here throws, and anything that is not the expected shape
 * reads as `undefined`, so a malformed or unexpected payload counts as "no usage" rather than as an error.
 */

/** A parsed JSON object (not an array, not null). */
export type JsonObject = { readonly [key: string]: unknown };

/** The value as a JSON object, or `undefined` when it is anything else. */
export function asObject(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

/** The object at `path` under `value` (`objectAt(body, 'meta', 'billed_units')`), or `undefined`. */
export function objectAt(value: unknown, ...path: readonly string[]): JsonObject | undefined {
  let current = asObject(value);
  for (const key of path) current = asObject(current?.[key]);
  return current;
}

/** A token count: a finite, non-negative number. Anything else (null, a string, NaN) is `undefined`. */
export function tokenCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

const OPEN_BRACE = 0x7b;

/**
 * Parses bytes that should hold a JSON object. Returns `undefined` for anything else without decoding it: an image
 * body or a corrupt payload is rejected on its first significant byte rather than turned into a string first.
 */
export function parseJsonObject(bytes: Uint8Array): JsonObject | undefined {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let start = 0;
  while (start < buffer.length && isJsonWhitespace(buffer[start] as number)) start++;
  if (buffer[start] !== OPEN_BRACE) return undefined;
  try {
    return asObject(JSON.parse(buffer.toString('utf8')));
  } catch {
    return undefined;
  }
}

function isJsonWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}
