/** The command line of `bedrock-passthrough`: its flags, their checks, and the usage text. */
import { parseArgs } from 'node:util';
import type { LogLevel } from '../logging/default-logger';

/** What the server was asked to do, with defaults applied. */
export interface ServeOptions {
  readonly configPath: string;
  readonly port: number;
  readonly host: string;
  readonly logLevel: LogLevel;
  /** Milliseconds in-flight requests get to finish after SIGTERM or SIGINT. */
  readonly gracePeriodMs: number;
  /** PEM files to serve TLS with (HTTP/2 and HTTP/1.1 by ALPN); cleartext without. */
  readonly tls?: TlsFiles;
}

/** Where the TLS private key and certificate chain are, in PEM. */
export interface TlsFiles {
  readonly keyPath: string;
  readonly certPath: string;
}

/** The outcome of reading the command line: serve, or print the usage. */
export type Command = { readonly kind: 'serve'; readonly options: ServeOptions } | { readonly kind: 'help' };

/** A command line that cannot be run; the message says why, for a person to read. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const DEFAULT_PORT = 4000;
// All interfaces, like `litellm --config`: the server is meant to be reached from other machines and containers.
const DEFAULT_HOST = '0.0.0.0';
const DEFAULT_LOG_LEVEL: LogLevel = 'info';
const DEFAULT_GRACE_PERIOD_SECONDS = 30;
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

/** The text `--help` prints. */
export const USAGE = `Usage: bedrock-passthrough --config <file> [options]

Serves an Amazon Bedrock gateway configured by a LiteLLM-style config.yaml, HTTP/1.1 and HTTP/2 on one port.
Clients use http://<host>:<port>/bedrock as their Bedrock Runtime endpoint (https:// with --tls-key).

Options:
  -c, --config <file>         Configuration file (YAML). Required.
  -p, --port <number>         Port to listen on (0: any free port). Default ${DEFAULT_PORT}.
      --host <address>        Address to listen on. Default ${DEFAULT_HOST}.
      --log-level <level>     ${LOG_LEVELS.join(', ')}. Default ${DEFAULT_LOG_LEVEL}. JSON lines on stderr.
      --grace-period <secs>   On SIGTERM or SIGINT, time in-flight requests get to finish. Default ${DEFAULT_GRACE_PERIOD_SECONDS}.
      --tls-key <file>        Private key (PEM) to serve HTTPS with: HTTP/2 or HTTP/1.1, as the client offers.
      --tls-cert <file>       Certificate chain (PEM) of that key. Both or neither; default: cleartext.
  -h, --help                  Print this help and exit.

Endpoints:
  /bedrock/...                Bedrock Runtime (Converse, ConverseStream, InvokeModel, InvokeModelWithResponseStream)
  GET /health                 Liveness: 200 while the process serves.
  GET /bedrock/health         Readiness: 200 with the deployments loaded (no secrets).

Exit status: 0 after a clean shutdown, 1 when the configuration or start-up fails, 2 for bad arguments.
`;

/**
 * Reads the command line (without `node` and the script).
 * @throws UsageError when an option is unknown, missing or out of range.
 */
export function parseCommandLine(args: readonly string[]): Command {
  const { values } = parseArgsOrUsageError(args);
  if (values.help) return { kind: 'help' };
  if (values.config === undefined || values.config === '') throw new UsageError('--config <file> is required.');
  return {
    kind: 'serve',
    options: {
      configPath: values.config,
      port: parsePort(values.port),
      host: parseHost(values.host),
      logLevel: parseLogLevel(values['log-level']),
      gracePeriodMs: parseGracePeriod(values['grace-period']) * 1000,
      ...parseTlsFiles(values['tls-key'], values['tls-cert']),
    },
  };
}

function parseArgsOrUsageError(args: readonly string[]) {
  try {
    return parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string', short: 'c' },
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        'log-level': { type: 'string' },
        'grace-period': { type: 'string' },
        'tls-key': { type: 'string' },
        'tls-cert': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    // parseArgs explains itself well ("Unknown option '--prot'"); only its own errors are usage errors. Told apart by
    // code, not class: its TypeError comes from Node's realm, not the caller's (under Jest, say).
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) throw new UsageError(String(message));
    throw error;
  }
}

function parsePort(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PORT;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, not '${value}'.`);
  return port;
}

function parseHost(value: string | undefined): string {
  if (value === undefined) return DEFAULT_HOST;
  if (value.trim() === '') throw new UsageError('--host must not be empty.');
  return value;
}

function parseLogLevel(value: string | undefined): LogLevel {
  if (value === undefined) return DEFAULT_LOG_LEVEL;
  const level = LOG_LEVELS.find((candidate) => candidate === value);
  if (!level) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, not '${value}'.`);
  return level;
}

function parseGracePeriod(value: string | undefined): number {
  if (value === undefined) return DEFAULT_GRACE_PERIOD_SECONDS;
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds < 0) {
    throw new UsageError(`--grace-period must be a number of seconds, 0 or more, not '${value}'.`);
  }
  return seconds;
}

function parseTlsFiles(keyPath: string | undefined, certPath: string | undefined): { tls?: TlsFiles } {
  if (keyPath === undefined && certPath === undefined) return {};
  if (keyPath === undefined || certPath === undefined) {
    throw new UsageError(`--tls-key and --tls-cert go together: ${keyPath === undefined ? '--tls-key' : '--tls-cert'} <file> is missing.`);
  }
  if (keyPath.trim() === '' || certPath.trim() === '') throw new UsageError('--tls-key and --tls-cert must name files.');
  return { tls: { keyPath, certPath } };
}
