/** The logger used when the host passes none: JSON lines on stderr, from a minimum level up. */
import type { Logger } from '../types';

/** Levels from the most to the least detailed. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const RANK: Record<LogLevel, number> = { debug: 20, info: 30, warn: 40, error: 50, silent: Infinity };

/** A pino-style JSON logger writing to `write` (default: stderr). Levels below `level` cost one comparison. */
export function createJsonLogger(level: LogLevel = 'warn', write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const minimum = RANK[level];
  const at = (name: Exclude<LogLevel, 'silent'>) =>
    RANK[name] < minimum
      ? () => undefined
      : (fields: object, message?: string) =>
          write(`${JSON.stringify({ level: name, time: new Date().toISOString(), ...fields, ...(message === undefined ? {} : { msg: message }) })}\n`);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
