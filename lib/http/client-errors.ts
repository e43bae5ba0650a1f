/**
 * What node:http's parser refuses before any handler runs — a request that could be smuggled (`content-length` with
 * `transfer-encoding`, two `content-length`s), a CR or LF inside a header, a head over `maxHeaderSize`, a request line
 * that is not HTTP — answered in Bedrock's error format rather than with node's bare status line, and the connection
 * closed, as node itself does.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { writeBedrockError } from '../aws/bedrock-errors';
import { echoed } from '../errors';

/** Node's parser errors that have a status of their own; every other one is a 400. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

const MESSAGE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'Malformed HTTP request.',
  408: 'The request did not arrive in time.',
  413: 'The request body has chunk extensions over the limit.',
  431: "The request's headers exceed this server's limit.",
};

/** A socket of node:http: `_httpMessage` is the response in progress on it, if any (node's own check, see below). */
interface HttpSocket extends Duplex {
  _httpMessage?: ServerResponse | null;
}

/**
 * A `clientError` listener for node:http servers. Like node's default, it answers only when nothing of a response has
 * been written on the connection yet (otherwise the bytes would land inside that response), and always closes.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  const inProgress = (socket as HttpSocket)._httpMessage;
  if (error.code !== 'ECONNRESET' && socket.writable && !inProgress?.headersSent) {
    const status = STATUS_BY_CODE[error.code ?? ''] ?? 400;
    const body = JSON.stringify({ message: MESSAGE_BY_STATUS[status] });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'content-type: application/json\r\n' +
        `content-length: ${Buffer.byteLength(body)}\r\n` +
        'x-amzn-errortype: ValidationException\r\n' +
        'connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy(error);
}

/**
 * A `checkExpectation` listener for node:http servers: a request whose `Expect` is not `100-continue` (which node
 * handles itself) gets its 417 in Bedrock's format instead of node's bare one, and the connection is closed, since
 * the client may send the body it announced all the same.
 */
export function answerUnmetExpectation(req: IncomingMessage, res: ServerResponse): void {
  writeBedrockError(res, 417, 'ValidationException', `Expect: ${echoed(String(req.headers.expect))} is not supported; only 100-continue is.`, {
    connection: 'close',
  });
}
