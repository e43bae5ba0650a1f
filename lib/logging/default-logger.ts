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
      : (fields: object, message?: string) => write(jsonLine(name, fields, message));
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * `{"level":...,"time":...,<fields>,"msg":...}` and a newline, the fields serialised in place rather than copied into a
 * new object first (the request line has some thirty of them).
 */
function jsonLine(level: string, fields: object, message: string | undefined): string {
  const body = JSON.stringify(fields);
  const inner = body.length > 2 ? `,${body.slice(1, -1)}` : '';
  const msg = message === undefined ? '' : `,"msg":${JSON.stringify(message)}`;
  return `{"level":"${level}","time":"${new Date().toISOString()}"${inner}${msg}}\n`;
}

const ignore = () => undefined;

/** The library's default: a host that wants logs passes its own logger (pino works as it is). */
export const SILENT_LOGGER: Logger = Object.freeze({ debug: ignore, info: ignore, warn: ignore, error: ignore });
