/** Starts the standalone server: config, handler, HTTP server, graceful stop. */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../config/load';
import { createBedrockHandler } from '../handler';
import { createJsonLogger } from '../logging/default-logger';
import type { ServeOptions } from './arguments';
import { trackConnections } from './drain';
import { createGatewayServer, MOUNT_PATH } from './server';
import { stopOnSignals } from './signals';

/** A failure to start that a person can fix from its message alone (no stack trace helps). */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/**
 * Loads the configuration and listens; from then on, SIGTERM or SIGINT stop the server gracefully and exit.
 * @returns the URL clients use as their Bedrock Runtime endpoint, once listening.
 * @throws ConfigError when the configuration is invalid, StartupError when the address cannot be used.
 */
export async function serve(options: ServeOptions): Promise<string> {
  const logger = createJsonLogger(options.logLevel);
  const config = loadConfig(options.configPath, { warn: (message) => logger.warn({ config: options.configPath }, message) });
  const handler = createBedrockHandler({ ...config, logger, mountPath: MOUNT_PATH });

  const server = createGatewayServer(handler);
  const drainer = trackConnections(server);

  server.listen(options.port, options.host);
  try {
    await once(server, 'listening');
  } catch (error) {
    await handler.close();
    throw new StartupError(`cannot listen on ${options.host}:${options.port}: ${(error as Error).message}`);
  }

  stopOnSignals(async (signal) => {
    const responsesInProgress = drainer.responsesInProgress;
    // Logged once the listening socket is closed, so whoever reads this line knows new connections are refused.
    const drained = drainer.drain(options.gracePeriodMs);
    logger.info({ signal, responsesInProgress, gracePeriodMs: options.gracePeriodMs }, 'shutting down');
    const { cutResponses } = await drained;
    if (cutResponses > 0) logger.warn({ cutResponses }, 'grace period over: cut the responses still in progress');
    await handler.close();
    logger.info({}, 'stopped');
  }, logger);

  const { address, port } = server.address() as AddressInfo;
  const endpoint = `http://${urlHost(address)}:${port}${MOUNT_PATH}`;
  logger.info({ endpoint, deployments: handler.deployments.length }, 'listening');
  return endpoint;
}

/** IPv6 addresses go in brackets in a URL. */
function urlHost(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}
