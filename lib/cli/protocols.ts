/**
 * HTTP/1.1 and HTTP/2 on one port. The AWS SDK for JavaScript calls Bedrock Runtime over HTTP/2 by default; boto3,
 * curl and load balancers mostly over HTTP/1.1: the standalone server answers both, with no client option to set.
 *
 * - Cleartext: an HTTP/2 client that knows the server speaks it (prior knowledge, what the SDK does for `http://`)
 *   opens with the connection preface, which no HTTP/1.x request starts with (RFC 9113 §3.4). The first bytes of each
 *   connection decide which protocol serves it; after that the connection costs nothing more than before.
 * - TLS: ALPN decides (`h2`, else HTTP/1.1): Node's secure HTTP/2 server with `allowHTTP1`.
 *
 * Either way the result is one server that emits `request` for both protocols (on HTTP/2, with the objects of Node's
 * compatibility API) and `session` for each HTTP/2 session, as Node's secure server with `allowHTTP1` does, so
 * dispatch, timeouts and the graceful stop are written once.
 */
import { createServer as createHttp1Server, type IncomingMessage, type Server as Http1Server, type ServerResponse } from 'node:http';
import {
  createSecureServer,
  createServer as createHttp2Server,
  type Http2SecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from 'node:http2';
import type { Socket } from 'node:net';
import { answerClientError, answerUnmetExpectation } from '../http/client-errors';

/** A server for both protocols (see above): plain `node:http` one for cleartext, `node:http2`'s secure one for TLS. */
export type DualProtocolServer = Http1Server | Http2SecureServer;

/** What serves each request, whichever protocol it came by: HTTP/2's compatibility objects stand in for node:http's. */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** A TLS private key and certificate chain, in PEM. */
export interface TlsCredentials {
  readonly key: Buffer;
  readonly cert: Buffer;
}

/** What an HTTP/2 client with prior knowledge sends first. */
const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

// Longer than the 60 s idle timeout of AWS's load balancers: otherwise they reuse a connection Node just closed
// and answer 502. (Node's default is 5 s.) HTTP/2 sessions get the same idle time.
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
const HTTP1_TIMEOUTS = { keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS, headersTimeout: KEEP_ALIVE_TIMEOUT_MS + 1000 };

/**
 * Creates (does not start) a server that serves `listener` over HTTP/1.1 and HTTP/2: cleartext (HTTP/2 by prior
 * knowledge), or TLS with ALPN when given `tls`.
 */
export function createDualProtocolServer(listener: RequestListener, tls?: TlsCredentials): DualProtocolServer {
  const server = tls ? createSecureServer({ ...tls, allowHTTP1: true }, asHttp2Listener(listener)) : createCleartextServer(listener);
  // Read by node:http's connection handling, which the secure server runs for HTTP/1.1 under allowHTTP1 (without a
  // keep-alive timeout of its own: idle connections would stay open for good).
  Object.assign(server, HTTP1_TIMEOUTS);
  // Smuggling shapes, CR/LF in headers, heads over maxHeaderSize: refused by node:http's parser, answered like Bedrock.
  server.on('clientError', answerClientError);
  server.on('checkExpectation', answerUnmetExpectation);
  server.on('session', closeWhenIdle);
  return server;
}

/** HTTP/1.1 on node:http as ever, with connections that open with the HTTP/2 preface passed to an HTTP/2 server. */
function createCleartextServer(listener: RequestListener): Http1Server {
  // The dispatch refuses HTTP/1.1 without Host itself, in Bedrock's format (node:http's refusal is a bare 400).
  const server = createHttp1Server({ requireHostHeader: false }, listener);
  const http2 = createHttp2Server();
  http2.on('request', (req, res) => server.emit('request', req, res));
  http2.on('session', (session) => server.emit('session', session));

  // node:http's own connection handler, taken off so that it gets only the connections found to be HTTP/1.x. The
  // server keeps everything else of node:http: its listening socket, header and keep-alive timeouts, close().
  const [serveHttp1, ...others] = server.listeners('connection') as Array<(socket: Socket) => void>;
  if (!serveHttp1 || others.length > 0) throw new Error('node:http no longer handles connections with one listener');
  server.off('connection', serveHttp1);
  server.on('connection', (socket: Socket) =>
    whenProtocolKnown(socket, (isHttp2) => {
      if (isHttp2) {
        // As node:http2's own server accepts sockets: when the client goes, the socket closes and so does the
        // session, ending its streams (node:http's sockets stay half open). It reads the bytes put back itself.
        socket.allowHalfOpen = false;
        http2.emit('connection', socket);
        return;
      }
      serveHttp1.call(server, socket);
      // node:http reads a flowing socket.
      socket.resume();
    }),
  );
  return server;
}

/**
 * Reads the first bytes of a connection until they are the HTTP/2 preface or cannot be, puts them back, and hands the
 * socket over, paused. A connection silent for longer than node:http waits for a request's headers is closed.
 */
function whenProtocolKnown(socket: Socket, handOver: (isHttp2: boolean) => void): void {
  let received: Buffer = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
    const compared = Math.min(received.length, HTTP2_PREFACE.length);
    const isHttp2 = received.compare(HTTP2_PREFACE, 0, compared, 0, compared) === 0;
    if (isHttp2 && compared < HTTP2_PREFACE.length) return;
    socket.off('data', onData);
    socket.off('error', onError);
    socket.off('timeout', onTimeout);
    socket.off('end', onEnd);
    socket.setTimeout(0);
    socket.pause();
    socket.unshift(received);
    handOver(isHttp2);
  };
  // Until a protocol owns the socket, its errors are ours to swallow (unhandled, they would end the process).
  const onError = () => socket.destroy();
  const onTimeout = () => socket.destroy();
  // A client that closes before sending a byte (one that gave up at once) would otherwise leave the socket half open,
  // in CLOSE_WAIT, until the timeout: node:http's server allows half-open sockets, and nothing reads this one yet.
  const onEnd = () => socket.destroy();
  socket.on('data', onData);
  socket.on('error', onError);
  socket.on('end', onEnd);
  socket.setTimeout(HTTP1_TIMEOUTS.headersTimeout, onTimeout);
}

/**
 * An HTTP/2 session without a frame either way for {@link KEEP_ALIVE_TIMEOUT_MS} gets a GOAWAY, as an idle
 * HTTP/1.1 connection gets closed: streams still running (a model slow to answer) finish first.
 */
function closeWhenIdle(session: ServerHttp2Session): void {
  session.setTimeout(KEEP_ALIVE_TIMEOUT_MS, () => session.close());
}

/** The listener as node:http2 types it: the core serves HTTP/2's compatibility objects as node:http's. */
function asHttp2Listener(listener: RequestListener): (req: Http2ServerRequest, res: Http2ServerResponse) => void {
  return listener as unknown as (req: Http2ServerRequest, res: Http2ServerResponse) => void;
}
