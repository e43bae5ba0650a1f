/**
 * Reading request bodies the caller wrote: JSON that may be missing members or hold the wrong types, so every
 * reader here answers `undefined` instead of throwing.
 */

/** A JSON object, as parsed. */
export type JsonObject = Record<string, unknown>;

/** The body as a JSON object, or undefined when it is not JSON or not an object. */
export function parseJsonObject(body: Buffer): JsonObject | undefined {
  try {
    return asObject(JSON.parse(body.toString('utf8')));
  } catch {
    return undefined;
  }
}

export function asObject(value: unknown): JsonObject | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function asArray(value: unknown): readonly unknown[] | undefined {
  return Array.isArray(value) ? value : undefined;
}

/** The value at a dotted path (`a.b.c`), or undefined where any step is missing or not an object. */
export function valueAt(json: unknown, path: string): unknown {
  let value: unknown = json;
  for (const key of path.split('.')) {
    const object = asObject(value);
    if (!object) return undefined;
    value = object[key];
  }
  return value;
}

/** The string at a dotted path, if it is one. */
export function stringAt(json: unknown, path: string): string | undefined {
  return asString(valueAt(json, path));
}
