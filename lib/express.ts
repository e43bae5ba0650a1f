/** The gateway as Express (or Connect) middleware: what `app.use('/bedrock', ...)` mounts. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConfigSource } from './config/source';
import { createBedrockHandler, type HostOptions, type ReloadSummary } from './handler';
import type { SpendTable } from './tracking/spend-table';
import type { PassthroughOptions } from './types';

/**
 * A mountable middleware: `(req, res)` served by the gateway, for every path below the mount point.
 * It needs nothing from Express (it works the same in Connect), so Express is only an optional peer.
 */
export interface BedrockPassthrough {
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void;
  /** Spend and tokens so far, by day, key and model group (this instance, in memory). */
  readonly spend: SpendTable;
  /**
   * Puts a new configuration in effect without dropping a request (see `BedrockHandler.reload`). Without an
   * argument, reads again the file (or object) the gateway was created from.
   * @throws ConfigError listing every problem of an invalid configuration; the current one then stays in effect.
   */
  reload(source?: ConfigSource): Promise<ReloadSummary>;
  /** Closes the upstream connection pools (call it when the app shuts down). */
  close(): Promise<void>;
}

/**
 * Creates the gateway for an Express or Connect app:
 *
 * ```ts
 * app.use('/bedrock', createBedrockPassthrough(loadConfig('config.yaml')));
 * // or, to reload the file with `passthrough.reload()` (on SIGHUP, say):
 * const passthrough = createBedrockPassthrough('config.yaml', { logger });
 * ```
 *
 * Clients then call `http://host/bedrock/model/{model}/converse` and the other Bedrock Runtime routes exactly as
 * they call AWS. Mount it before body parsers when you can: it then forwards the exact bytes the client sent.
 * After `express.json()` it forwards a faithful re-serialisation (or `req.rawBody` when the app keeps it).
 */
export function createBedrockPassthrough(options: PassthroughOptions): BedrockPassthrough;
export function createBedrockPassthrough(config: string, options?: HostOptions): BedrockPassthrough;
export function createBedrockPassthrough(first: PassthroughOptions | string, options?: HostOptions): BedrockPassthrough {
  const handler = typeof first === 'string' ? createBedrockHandler(first, options) : createBedrockHandler(first);
  return Object.assign((req: IncomingMessage, res: ServerResponse) => handler(req, res), {
    spend: handler.spend,
    reload: (source?: ConfigSource) => handler.reload(source),
    close: () => handler.close(),
  });
}
