/**
 * The request body as the client sent it, whether or not the host app ran a body parser first.
 */
import type { IncomingMessage } from 'node:http';
import { constants as http2Constants, type Http2ServerRequest } from 'node:http2';
import { GatewayError } from '../errors';

/** The client went away before its body arrived: there is no one left to answer. */
export class ClientGoneError extends Error {
  override readonly name = 'ClientGoneError';
}

/**
 * The status a record gives a request whose client left before any answer's head went out: nginx's "client closed
 * request". Node's `res.statusCode` would say 200 for an answer nobody got.
 */
export const CLIENT_CLOSED_REQUEST = 499;

/** What body parsers leave on the request: Express's `req.body`, and the raw bytes some apps keep. */
interface ParsedRequest extends IncomingMessage {
  body?: unknown;
  rawBody?: unknown;
  _body?: boolean;
}

/** How long a refused upload is still read, and dropped, after the 413 went out (see {@link closeAfterAnswer}). */
const LINGER_MS = 5_000;

/**
 * Stops taking a body over the limit, and returns the 413 to answer with. The client must stop sending the rest: on
 * HTTP/1.x the connection closes after the answer (half an upload makes it unusable); on HTTP/2, where a `connection`
 * header is not allowed, only this stream is reset once the answer is out (RFC 9113 §8.1). Either way what arrives
 * meanwhile is dropped as it comes, never kept.
 */
function refuseBody(req: IncomingMessage, maxBytes: number): GatewayError {
  const message = `The request body exceeds this gateway's limit of ${maxBytes} bytes.`;
  // Dropped, not paused: a paused HTTP/1.x request leaves the rest in the kernel's buffer (see closeAfterAnswer), and a
  // paused HTTP/2 stream holding unread data is never closed, and holds its session's memory.
  req.resume();
  if (req.httpVersionMajor < 2) {
    closeAfterAnswer(req);
    return new GatewayError('ValidationException', message, 413, { connection: 'close' });
  }
  // A turn after the answer is written, as Node resets a stream whose body was never read: the client then has the
  // whole answer before the reset (Node's own client may hang otherwise).
  const { stream } = req as unknown as Http2ServerRequest;
  stream.once('finish', () => setImmediate(() => stream.close(http2Constants.NGHTTP2_NO_ERROR)));
  return new GatewayError('ValidationException', message, 413);
}

/**
 * Closes an HTTP/1.x connection after its `connection: close` answer the way RFC 9112 §9.6 asks: half-close, then
 * read and drop what the client still sends until it stops (or {@link LINGER_MS} pass, or its body is all in).
 * node:http would destroy the socket at once (`socket.destroySoon()`, called for every `connection: close` answer);
 * closing a socket with unread bytes makes the kernel reset the connection, and a client still uploading then loses
 * the 413 it had not read yet and sees only ECONNRESET or EPIPE.
 */
function closeAfterAnswer(req: IncomingMessage): void {
  const socket = req.socket;
  socket.destroySoon = () => {
    socket.end();
    if (req.complete) {
      socket.destroy();
      return;
    }
    const close = () => socket.destroy();
    const timer = setTimeout(close, LINGER_MS).unref();
    socket.once('close', () => clearTimeout(timer));
    socket.once('end', close);
    req.once('end', close);
  };
}

/**
 * The bytes a parser already consumed: exactly as sent when the app kept them (`req.rawBody`, or `express.raw()`),
 * else a faithful re-serialisation (`express.json()`, `express.text()`). Undefined when no parser ran.
 */
function bodyFromParser(req: ParsedRequest): Buffer | undefined {
  const parsed = req._body === true || (req.readableEnded && req.body !== undefined);
  if (!parsed) return undefined;
  if (Buffer.isBuffer(req.rawBody)) return req.rawBody;
  if (Buffer.isBuffer(req.body)) return req.body;
  if (typeof req.body === 'string') return Buffer.from(req.body, 'utf8');
  return Buffer.from(JSON.stringify(req.body ?? {}), 'utf8');
}

/**
 * Refuses (413) a request whose `content-length` declares more than `maxBytes`, before anything else is done with it:
 * a gateway that read or authenticated first would take, or drop, the whole upload before saying no.
 * @throws GatewayError the 413
 */
export function refuseDeclaredOversize(req: IncomingMessage, maxBytes: number): void {
  if (Number(req.headers['content-length']) > maxBytes) throw refuseBody(req, maxBytes);
}

/** Reads the whole body, refusing more than `maxBytes` (413) as early as the `content-length` tells. */
export function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const fromParser = bodyFromParser(req as ParsedRequest);
  if (fromParser) {
    return fromParser.length > maxBytes ? Promise.reject(refuseBody(req, maxBytes)) : Promise.resolve(fromParser);
  }
  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes) return Promise.reject(refuseBody(req, maxBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        reject(refuseBody(req, maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onClose = () => {
      cleanup();
      reject(new ClientGoneError('the client went away during the upload'));
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onClose);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    req.on('error', onClose);
  });
}
