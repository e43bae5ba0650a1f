/** What the fuzz tests accept as an answer: Bedrock's error format, or node:http's parser refusing bytes outright. */
import { connect } from 'node:net';

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/**
 * Why `answer` is not a Bedrock-shaped error, or undefined when it is one: a 4xx/5xx status, `x-amzn-errortype`, and
 * (except for HEAD, which has no body) a JSON object body whose `message` is a string.
 */
export function notBedrockShaped(answer: HttpAnswer, method: string): string | undefined {
  if (answer.status < 400 || answer.status > 599) return `status ${answer.status}`;
  const type = answer.headers['x-amzn-errortype'];
  if (typeof type !== 'string' || !/^[A-Za-z]+(:.*)?$/.test(type)) return `x-amzn-errortype ${JSON.stringify(type)}`;
  if (method === 'HEAD') return undefined;
  try {
    const parsed: unknown = JSON.parse(answer.body.toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { message?: unknown }).message === 'string') return undefined;
  } catch {
    // Reported below.
  }
  return `body ${JSON.stringify(answer.body.toString('utf8').slice(0, 200))}`;
}

/** What came back on a raw connection: the first answer's head and body, or nothing. */
export interface RawExchange {
  /** The first answer, if any bytes came back. */
  readonly answer?: HttpAnswer;
  /** The server closed the connection (rather than the test giving up waiting). */
  readonly closed: boolean;
}

/**
 * Writes `bytes` on a fresh connection, ends the test's side (so a server waiting for more learns there is none) and
 * reads until the server closes, or `timeoutMs` passes.
 */
export function exchangeRaw(port: number, bytes: Buffer, timeoutMs = 3000): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closed = false;
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('end', () => (closed = true));
    socket.on('close', () => {
      clearTimeout(timer);
      const received = Buffer.concat(chunks);
      resolve({ closed: closed || received.length > 0, ...(received.length > 0 ? { answer: parseHead(received) } : {}) });
    });
    socket.end(bytes);
  });
}

/** The first answer in `received` (headers lowercased; the body as far as its content-length says, or the rest). */
function parseHead(received: Buffer): HttpAnswer {
  const headEnd = received.indexOf('\r\n\r\n');
  const head = received.subarray(0, headEnd === -1 ? received.length : headEnd).toString('latin1');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = headEnd === -1 ? Buffer.alloc(0) : received.subarray(headEnd + 4);
  const length = Number(headers['content-length']);
  const body = headers['transfer-encoding'] === 'chunked' ? unchunked(rest) : Number.isInteger(length) ? rest.subarray(0, length) : rest;
  return { status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, body };
}

/** A chunked body's content (node:http sends even an empty answer chunked when it has no length: `0\r\n\r\n`). */
function unchunked(bytes: Buffer): Buffer {
  const chunks: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at);
    const size = lineEnd === -1 ? 0 : parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16);
    if (!(size > 0)) return Buffer.concat(chunks);
    chunks.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/**
 * node:http's own refusal, before any handler runs, of bytes it will not serve, answered without a body:
 * - bytes its parser cannot read as a request: a 4xx status line (`400 Bad Request`; `431` for a head too large) with
 *   `Connection: close`, then the connection closed;
 * - an `Expect` header it cannot meet (anything but `100-continue`): `417 Expectation Failed`.
 * A host can replace both (`clientError` and `checkExpectation` listeners on its server); what the fuzzed servers
 * answer must be one of these or Bedrock's format.
 */
export function isNodeRefusal(exchange: RawExchange, sent: Buffer): boolean {
  const answer = exchange.answer;
  if (answer === undefined || !exchange.closed || answer.body.length > 0) return false;
  if (answer.status === 417) return /\r\nexpect:(?!\s*100-continue\s*\r\n)/i.test(sent.toString('latin1'));
  return [400, 413, 414, 431, 505].includes(answer.status) && answer.headers['connection'] === 'close';
}
