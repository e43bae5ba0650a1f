/**
 * Loading an optional peer dependency (prom-client, `@opentelemetry/api`) only when the feature that needs it is
 * turned on, so the main entry never loads it and works without it installed.
 */

/**
 * The module `name`, or undefined when it is not installed. Any other failure to load it (a broken install, a
 * missing dependency of its own) is a real error and is thrown.
 */
export function requireOptionalPeer<T>(name: string): T | undefined {
  try {
    return require(name) as T;
  } catch (error) {
    const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
    if (code === 'MODULE_NOT_FOUND' && typeof message === 'string' && message.includes(`'${name}'`)) return undefined;
    throw error;
  }
}
