/**
 * The standalone server's request dispatch: two health paths, the gateway below its mount path, and Bedrock's 404 for
 * everything else, over HTTP/1.1 and HTTP/2 alike. Kept to a few string comparisons so the gateway's own cost stays
 * the cost.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { writeBedrockError } from '../aws/bedrock-errors';
import type { BedrockHandler } from '../handler';
import { serveMetrics } from '../metrics/endpoint';
import type { PrometheusRegistry } from '../metrics/types';
import type { Deployment } from '../types';
import { createDualProtocolServer, type DualProtocolServer, type TlsCredentials } from './protocols';

/** Where the gateway is served; clients use `http://host:port/bedrock` (`https://` with TLS) as their endpoint. */
export const MOUNT_PATH = '/bedrock';
/** Liveness: the process is up and serving HTTP. */
const LIVENESS_PATH = '/health';
/**
 * Readiness: the deployments of the configuration in effect. (While draining, new connections are refused, which is
 * what probes see.)
 */
const READINESS_PATH = `${MOUNT_PATH}/health`;

/** What the readiness report shows of a deployment: where it goes, never how it authenticates. */
interface DeploymentSummary {
  readonly id: string;
  readonly modelName: string;
  readonly modelId: string;
  readonly region: string;
  readonly endpoint: string;
}

/** Prometheus' scrape path, when a registry is given. */
const METRICS_PATH = '/metrics';

/**
 * Creates (does not start) the server that serves `handler` at {@link MOUNT_PATH}, and `registry` at `/metrics`: over
 * HTTP/1.1 and cleartext HTTP/2 on one port, or over TLS (HTTP/2 and HTTP/1.1 by ALPN) when given `tls`.
 */
export function createGatewayServer(handler: BedrockHandler, registry?: PrometheusRegistry, tls?: TlsCredentials): DualProtocolServer {
  return createDualProtocolServer((req, res) => {
    // RFC 9112 §3.2: a server must refuse an HTTP/1.1 request without Host (over TLS too, which node:http leaves to us).
    if (req.httpVersion === '1.1' && req.headers.host === undefined) {
      return writeBedrockError(res, 400, 'ValidationException', 'An HTTP/1.1 request needs a Host header.', { connection: 'close' });
    }
    const path = pathOf(req);
    if (isRead(req) && path === LIVENESS_PATH) return sendJson(res, 200, { status: 'ok' });
    if (isRead(req) && path === READINESS_PATH) return sendJson(res, 200, { status: 'ok', deployments: handler.deployments.map(summarize) });
    if (registry && isRead(req) && path === METRICS_PATH) return serveMetrics(registry, req, res);
    if (path === MOUNT_PATH || path.startsWith(`${MOUNT_PATH}/`)) return handler(req, res);
    writeBedrockError(res, 404, 'UnknownOperationException', `Nothing is served at ${path}; Bedrock Runtime is at ${MOUNT_PATH}.`);
  }, tls);
}

/** The five public fields, picked one by one so that nothing added to {@link Deployment} later leaks by default. */
function summarize(deployment: Deployment): DeploymentSummary {
  const { id, modelName, modelId, region } = deployment;
  return { id, modelName, modelId, region, endpoint: deployment.endpoint };
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const queryAt = url.indexOf('?');
  return queryAt === -1 ? url : url.slice(0, queryAt);
}

function isRead(req: IncomingMessage): boolean {
  return req.method === 'GET' || req.method === 'HEAD';
}

function sendJson(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
