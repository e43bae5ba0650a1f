/**
 * Serves a registry in Prometheus' text format: the standalone server's `GET /metrics`, and what a host without its
 * own metrics route can mount.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PrometheusRegistry } from './types';

/**
 * Answers one scrape with the registry's metrics (`HEAD`: the head only). A registry that fails to collect (a
 * collect callback threw) answers 500 with the error, so the scraper reports the target down instead of stale data.
 */
export function serveMetrics(registry: PrometheusRegistry, req: IncomingMessage, res: ServerResponse): void {
  registry.metrics().then(
    (body) => {
      res.writeHead(200, { 'content-type': registry.contentType, 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    },
    (error: unknown) => {
      const body = `metrics collection failed: ${String(error)}\n`;
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    },
  );
}
