/**
 * Redaction across reloads: one logger for the gateway's whole life that keeps every secret of every configuration
 * loaded so far out of its lines. The previous configuration's secrets stay redacted too: its in-flight requests may
 * still log (an upstream error echoing a rotated key).
 */
import type { GatewayConfig } from '../config/types';
import { SILENT_LOGGER } from '../logging/default-logger';
import { redactingLogger } from '../logging/redaction';
import type { Logger } from '../types';

/** A logger, and how to teach it a configuration's secrets. */
export interface RedactedLogging {
  /** Stable for the gateway's life: components built once keep it. */
  readonly logger: Logger;
  /** Adds the configuration's secrets to those redacted from every line from now on. */
  learn(config: GatewayConfig): void;
}

/** Redacted logging on `given` (silent when none: nothing to redact, and nothing wraps the silent logger). */
export function redactedLogging(given: Logger | undefined): RedactedLogging {
  if (given === undefined || given === SILENT_LOGGER) return { logger: SILENT_LOGGER, learn: () => undefined };
  const known = new Set<string>();
  let redacting: Logger = given;
  return {
    logger: {
      debug: (fields, message) => redacting.debug(fields, message),
      info: (fields, message) => redacting.info(fields, message),
      warn: (fields, message) => redacting.warn(fields, message),
      error: (fields, message) => redacting.error(fields, message),
    },
    learn(config) {
      const before = known.size;
      for (const secret of configuredSecrets(config)) if (secret) known.add(secret);
      if (known.size !== before) redacting = redactingLogger(given, [...known]);
    },
  };
}

/** Every secret the config holds, for redaction from logs. */
function configuredSecrets(config: GatewayConfig): Array<string | undefined> {
  const secrets: Array<string | undefined> = [
    config.general_settings?.master_key,
    ...(config.keys ?? []).flatMap((key) => [key.key, key.secret_access_key]),
    config.router_settings?.redis_password,
    ...redisUrlPassword(config.router_settings?.redis_url),
  ];
  for (const source of [config.bedrock_settings, ...config.model_list.map((entry) => entry.litellm_params)]) {
    secrets.push(source?.aws_secret_access_key, source?.aws_session_token, (source as { api_key?: string } | undefined)?.api_key);
  }
  return secrets;
}

/** The password inside a `redis://user:password@host` URL, as written and percent-decoded (as the client sends it). */
function redisUrlPassword(url: string | undefined): string[] {
  if (!url) return [];
  try {
    const { password } = new URL(url);
    return password ? [password, decodeURIComponent(password)] : [];
  } catch {
    // Not a URL: no password to find in it.
    return [];
  }
}
