/**
 * A last line of defence: whatever a log line holds — an upstream error message, a host annotation — the secrets
 * the gateway knows (client keys, AWS secrets, API keys) never reach the host's logger.
 */
import type { Logger } from '../types';
import { SILENT_LOGGER } from './default-logger';

const REDACTED = '[redacted]';
/** Short values would match by accident, and are not secrets anyway. */
const MIN_SECRET_LENGTH = 8;
/** Objects are copied member by member down to this depth; deeper ones are checked whole (see {@link redactDeep}). */
const MAX_COPY_DEPTH = 4;

/**
 * `value` with every secret replaced, copying only what changes: a log line without secrets (nearly all of them) is
 * passed on as it is, without a copy.
 */
function redact(value: unknown, secrets: readonly string[], depth: number): unknown {
  if (typeof value === 'string') {
    let text = value;
    for (const secret of secrets) if (text.includes(secret)) text = text.split(secret).join(REDACTED);
    return text;
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_COPY_DEPTH) return redactDeep(value, secrets);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item: unknown, index) => {
      const clean = redact(item, secrets, depth + 1);
      if (clean !== item) (copy ??= [...value])[index] = clean;
    });
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const [name, item] of Object.entries(value)) {
    const clean = redact(item, secrets, depth + 1);
    if (clean !== item) (copy ??= { ...value })[name] = clean;
  }
  return copy ?? value;
}

/**
 * An object nested deeper than {@link MAX_COPY_DEPTH} (a host's annotations, say): passed on as it is when its JSON
 * holds no secret, else replaced whole. A depth limit that passed deep values on unchecked would let a secret through.
 */
function redactDeep(value: object, secrets: readonly string[]): unknown {
  const text = serialised(value);
  // As they appear inside a JSON string: a secret with a quote or a backslash is escaped there.
  return text === undefined || secrets.some((secret) => text.includes(JSON.stringify(secret).slice(1, -1))) ? REDACTED : value;
}

/** `value` as JSON; undefined when it cannot be (a cycle, a BigInt), and so cannot be checked either. */
function serialised(value: object): string | undefined {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return undefined;
  }
}

/** Wraps `logger` so that no field or message carries one of `secrets`. */
export function redactingLogger(logger: Logger, secrets: readonly (string | undefined)[]): Logger {
  const known = [...new Set(secrets.filter((secret): secret is string => typeof secret === 'string' && secret.length >= MIN_SECRET_LENGTH))];
  if (known.length === 0 || logger === SILENT_LOGGER) return logger;
  const wrap = (log: Logger['info']) => (fields: object, message?: string) =>
    log(redact(fields, known, 0) as object, message === undefined ? undefined : (redact(message, known, 0) as string));
  return {
    debug: wrap(logger.debug.bind(logger)),
    info: wrap(logger.info.bind(logger)),
    warn: wrap(logger.warn.bind(logger)),
    error: wrap(logger.error.bind(logger)),
  };
}
