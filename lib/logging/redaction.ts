/**
 * A last line of defence: whatever a log line holds — an upstream error message, a host annotation — the secrets
 * the gateway knows (client keys, AWS secrets, API keys) never reach the host's logger.
 */
import type { Logger } from '../types';

const REDACTED = '[redacted]';
/** Short values would match by accident, and are not secrets anyway. */
const MIN_SECRET_LENGTH = 8;

function redact(value: unknown, secrets: readonly string[], depth: number): unknown {
  if (typeof value === 'string') {
    let text = value;
    for (const secret of secrets) if (text.includes(secret)) text = text.split(secret).join(REDACTED);
    return text;
  }
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redact(item, secrets, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [name, item] of Object.entries(value)) copy[name] = redact(item, secrets, depth + 1);
  return copy;
}

/** Wraps `logger` so that no field or message carries one of `secrets`. */
export function redactingLogger(logger: Logger, secrets: readonly (string | undefined)[]): Logger {
  const known = [...new Set(secrets.filter((secret): secret is string => typeof secret === 'string' && secret.length >= MIN_SECRET_LENGTH))];
  if (known.length === 0) return logger;
  const wrap = (log: Logger['info']) => (fields: object, message?: string) =>
    log(redact(fields, known, 0) as object, message === undefined ? undefined : (redact(message, known, 0) as string));
  return {
    debug: wrap(logger.debug.bind(logger)),
    info: wrap(logger.info.bind(logger)),
    warn: wrap(logger.warn.bind(logger)),
    error: wrap(logger.error.bind(logger)),
  };
}
