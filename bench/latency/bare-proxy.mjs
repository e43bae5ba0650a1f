// @ts-check
/**
 * The baseline: a bare Node reverse proxy, the least any Node gateway must do. It passes method, path, headers and
 * body through to one upstream over an undici keep-alive pool and streams the answer back as it arrives. No auth, no
 * signing, no parsing: only the hop-by-hop headers a proxy must not forward are dropped (RFC 9110 §7.6.1; undici
 * refuses most of them anyway).
 */
import { Pool } from 'undici';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);

/**
 * Node's raw request headers ([name, value, name, value...]) without the hop-by-hop ones, in undici's flat form.
 * @param {string[]} rawHeaders
 */
function forwardedHeaders(rawHeaders) {
  /** @type {string[]} */
  const headers = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = /** @type {string} */ (rawHeaders[i]);
    if (!HOP_BY_HOP.has(name.toLowerCase())) headers.push(name, /** @type {string} */ (rawHeaders[i + 1]));
  }
  return headers;
}

/**
 * The answer's headers without the hop-by-hop ones (Node frames the body itself).
 * @param {Record<string, string | string[] | undefined>} headers
 */
function answerHeaders(headers) {
  /** @type {Record<string, string | string[]>} */
  const kept = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && !HOP_BY_HOP.has(name)) kept[name] = value;
  }
  return kept;
}

/**
 * A `(req, res)` handler that proxies every request to `upstream` (an origin: `http://127.0.0.1:1234`).
 * @param {string} upstream
 */
export function createBareProxy(upstream) {
  // The gateway's own pool settings (lib/upstream/agent.ts), so both keep connections alike.
  const pool = new Pool(upstream, { keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000, headersTimeout: 0, bodyTimeout: 0 });
  /** @type {import('node:http').RequestListener} */
  return (req, res) => {
    pool.stream(
      { method: /** @type {import('undici').Dispatcher.HttpMethod} */ (req.method), path: req.url ?? '/', headers: forwardedHeaders(req.rawHeaders), body: req },
      // undici writes each chunk of the answer into `res` as it arrives.
      ({ statusCode, headers }) => {
        res.writeHead(statusCode, answerHeaders(headers));
        return res;
      },
      (error) => {
        if (!error) return;
        if (res.headersSent) res.destroy(error);
        else res.writeHead(502, { 'content-type': 'text/plain' }).end(`upstream failed: ${error.message}`);
      },
    );
  };
}
