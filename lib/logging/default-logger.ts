/** JSON-lines loggers: the CLI's, and a silent one, the library's default. */
import type { Logger } from '../types';

/** Levels from the most to the least detailed. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const RANK: Record<LogLevel, number> = { debug: 20, info: 30, warn: 40, error: 50, silent: Infinity };

/** A pino-style JSON logger writing to `write` (default: stdout). Levels below `level` cost one comparison. */
export function createJsonLogger(level: LogLevel = 'info', write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  const minimum = RANK[level];
  const at = (name: Exclude<LogLevel, 'silent'>) =>
    RANK[name] < minimum
      ? () => undefined
      : (fields: object, message?: string) =>
          write(`${JSON.stringify({ level: name, time: new Date().toISOString(), ...fields, ...(message === undefined ? {} : { msg: message }) })}\n`);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const ignore = () => undefined;

/** The library's default: a host that wants logs passes its own logger (pino works as it is). */
export const SILENT_LOGGER: Logger = Object.freeze({ debug: ignore, info: ignore, warn: ignore, error: ignore });
