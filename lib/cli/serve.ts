/** Starts the standalone server: config, handler, HTTP server (TLS when asked), graceful stop. */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createSecureContext } from 'node:tls';
import { createBedrockHandler } from '../handler';
import { createJsonLogger } from '../logging/default-logger';
import type { PromClientModule } from '../metrics/registry';
import type { PrometheusRegistry } from '../metrics/types';
import type { Logger } from '../types';
import { requireOptionalPeer } from '../util/optional-peer';
import type { ServeOptions, TlsFiles } from './arguments';
import { trackConnections } from './drain';
import type { TlsCredentials } from './protocols';
import { createGatewayServer, MOUNT_PATH } from './server';
import { reloadOnHangup, stopOnSignals } from './signals';

/** A failure to start that a person can fix from its message alone (no stack trace helps). */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/**
 * Loads the configuration and listens; from then on, SIGHUP reloads the configuration file, and SIGTERM or SIGINT
 * stop the server gracefully and exit.
 * @returns the URL clients use as their Bedrock Runtime endpoint, once listening.
 * @throws ConfigError when the configuration is invalid, StartupError when the TLS files or the address cannot be used.
 */
export async function serve(options: ServeOptions): Promise<string> {
  const logger = createJsonLogger(options.logLevel);
  const tls = options.tls && loadTlsCredentials(options.tls);
  const registry = metricsRegistry(logger);
  // Made from the file's path, so that a reload reads the file again.
  const handler = createBedrockHandler(options.configPath, {
    logger,
    mountPath: MOUNT_PATH,
    ...(registry ? { metrics: { registry } } : {}),
    // Free when no OpenTelemetry SDK is registered; spans appear as soon as one is (e.g. with --require).
    tracing: {},
  });

  const server = createGatewayServer(handler, registry, tls);
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
  // Only the file is reloaded: the address, port and TLS files are the server's, fixed until a restart.
  reloadOnHangup(() => handler.reload());

  const { address, port } = server.address() as AddressInfo;
  const endpoint = `${tls ? 'https' : 'http'}://${urlHost(address)}:${port}${MOUNT_PATH}`;
  logger.info({ endpoint, deployments: handler.deployments.length }, 'listening');
  return endpoint;
}

/** A registry for `GET /metrics`, with Node's default process metrics, when prom-client is installed. */
function metricsRegistry(logger: Logger): PrometheusRegistry | undefined {
  const client = requireOptionalPeer<PromClientModule>('prom-client');
  if (!client) {
    logger.warn({}, 'prom-client is not installed: no /metrics (npm install prom-client to enable it)');
    return undefined;
  }
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * Reads the TLS key and certificate, and checks that they make a usable pair before anything starts.
 * @throws StartupError naming the file that cannot be read, or what is wrong with the pair.
 */
function loadTlsCredentials(files: TlsFiles): TlsCredentials {
  const read = (flag: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new StartupError(`cannot read ${flag} ${path}: ${(error as Error).message}`);
    }
  };
  const credentials = { key: read('--tls-key', files.keyPath), cert: read('--tls-cert', files.certPath) };
  try {
    createSecureContext(credentials);
  } catch (error) {
    throw new StartupError(`cannot serve TLS with --tls-key ${files.keyPath} and --tls-cert ${files.certPath}: ${(error as Error).message}`);
  }
  return credentials;
}

/** IPv6 addresses go in brackets in a URL. */
function urlHost(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}
