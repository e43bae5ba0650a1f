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

/** What body parsers leave on the request: Express's `req.body`, and the raw bytes some apps keep. */
interface ParsedRequest extends IncomingMessage {
  body?: unknown;
  rawBody?: unknown;
  _body?: boolean;
}

/**
 * Stops taking a body over the limit, and returns the 413 to answer with. The client must stop sending the rest: on
 * HTTP/1.x the connection closes after the answer (half an upload makes it unusable); on HTTP/2, where a `connection`
 * header is not allowed, only this stream is reset once the answer is out (RFC 9113 §8.1), and what arrives until
 * then is dropped.
 */
function refuseBody(req: IncomingMessage, maxBytes: number): GatewayError {
  const message = `The request body exceeds this gateway's limit of ${maxBytes} bytes.`;
  if (req.httpVersionMajor < 2) {
    req.pause();
    return new GatewayError('ValidationException', message, 413, { connection: 'close' });
  }
  // Dropped, not paused: a stream holding unread data is never closed, and holds its session's memory.
  req.resume();
  // A turn after the answer is written, as Node resets a stream whose body was never read: the client then has the
  // whole answer before the reset (Node's own client may hang otherwise).
  const { stream } = req as unknown as Http2ServerRequest;
  stream.once('finish', () => setImmediate(() => stream.close(http2Constants.NGHTTP2_NO_ERROR)));
  return new GatewayError('ValidationException', message, 413);
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
