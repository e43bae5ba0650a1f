/**
 * Where a gateway's configuration comes from — a file, YAML text, or an object built in code — and how it is read
 * again: at start-up and on every reload, so that `os.environ/NAME` values are resolved afresh each time.
 */
import { loadConfig, resolveConfig, type LoadConfigOptions } from './load';
import type { GatewayConfig } from './types';

/**
 * A configuration to read: a path to a YAML file or YAML text (as {@link loadConfig} takes them: a string with a
 * newline is text), or an object as {@link resolveConfig} takes it.
 */
export type ConfigSource = string | GatewayConfig;

/**
 * Reads and checks a configuration.
 * @throws ConfigError listing every problem (with the file's name when it came from one).
 */
export function readConfig(source: ConfigSource, options: LoadConfigOptions): GatewayConfig {
  return typeof source === 'string' ? loadConfig(source, options) : resolveConfig(source, options);
}

/** How logs name a source: the file's path; never the text or object itself, which may hold secrets. */
export function describeSource(source: ConfigSource): string {
  if (typeof source !== 'string') return '(object)';
  return source.includes('\n') ? '(YAML text)' : source;
}
