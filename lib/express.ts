/** The gateway as Express (or Connect) middleware: what `app.use('/bedrock', ...)` mounts. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createBedrockHandler } from './handler';
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
  /** Closes the upstream connection pool (call it when the app shuts down). */
  close(): Promise<void>;
}

/**
 * Creates the gateway for an Express or Connect app:
 *
 * ```ts
 * app.use('/bedrock', createBedrockPassthrough(loadConfig('config.yaml')));
 * ```
 *
 * Clients then call `http://host/bedrock/model/{model}/converse` and the other Bedrock Runtime routes exactly as
 * they call AWS. Mount it before body parsers when you can: it then forwards the exact bytes the client sent.
 * After `express.json()` it forwards a faithful re-serialisation (or `req.rawBody` when the app keeps it).
 */
export function createBedrockPassthrough(options: PassthroughOptions): BedrockPassthrough {
  const handler = createBedrockHandler(options);
  return Object.assign((req: IncomingMessage, res: ServerResponse) => handler(req, res), {
    spend: handler.spend,
    close: () => handler.close(),
  });
}
