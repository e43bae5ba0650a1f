/**
 * Test scaffolding for the security tests: the CLI's server in process (the same `createGatewayServer` around the same
 * handler that `serve()` builds), and HTTP/1.1 written byte by byte on a raw socket — an HTTP client library would
 * normalise the very shapes these tests send (two content-lengths, CR in a header, absolute-form targets).
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { createGatewayServer, MOUNT_PATH } from '../../lib/cli/server';
import { createBedrockHandler } from '../../lib/handler';
import type { PassthroughOptions } from '../../lib/types';

/** The CLI's server on a free loopback port. */
export interface CliServer {
  readonly port: number;
  /** The gateway's base URL (`http://127.0.0.1:PORT/bedrock`). */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the CLI's server (without its signal handling) for `options`, mounted where the CLI mounts it. */
export async function startCliServer(options: PassthroughOptions): Promise<CliServer> {
  const handler = createBedrockHandler({ ...options, mountPath: MOUNT_PATH });
  const server = createGatewayServer(handler) as Server;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}${MOUNT_PATH}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await handler.close();
    },
  };
}

/** What came back on a raw connection, read until the server closed it. */
export interface RawAnswer {
  /** The status of the first answer; 0 when none came. */
  readonly status: number;
  /** The first answer's headers, names lowercased. */
  readonly headers: Readonly<Record<string, string>>;
  /** Everything after the first answer's head. */
  readonly body: string;
  /** The connection ended with an error (a reset) rather than a close. */
  readonly reset: boolean;
}

/**
 * Writes `request` as it is on a fresh connection and reads until the server closes it. The request should say
 * `Connection: close` (or be one the server refuses): a kept-alive connection is closed by the test after `idleMs`.
 */
export function rawRequest(port: number, request: string | Buffer, idleMs = 2000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let reset = false;
    socket.setTimeout(idleMs, () => socket.end());
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => (reset = true));
    socket.on('close', () => resolve({ ...parseAnswer(Buffer.concat(chunks).toString('latin1')), reset }));
    socket.write(request);
  });
}

/** Splits the first answer of `text` into status, headers and the rest. */
export function parseAnswer(text: string): Omit<RawAnswer, 'reset'> {
  const headEnd = text.indexOf('\r\n\r\n');
  if (headEnd === -1) return { status: 0, headers: {}, body: text };
  const [statusLine = '', ...lines] = text.slice(0, headEnd).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: text.slice(headEnd + 4) };
}

/** An HTTP/1.1 request as text: the request line, `headers` in order (CRLF-terminated each), a blank line, `body`. */
export function httpRequest(method: string, target: string, headers: readonly string[], body = ''): string {
  return `${method} ${target} HTTP/1.1\r\n${headers.map((header) => `${header}\r\n`).join('')}\r\n${body}`;
}

/** Expects a Bedrock-shaped error: status, `x-amzn-ErrorType`, a JSON body with `message` only. */
export function expectRawBedrockError(answer: RawAnswer, status: number, type: string): void {
  expect(answer.status).toBe(status);
  expect(answer.headers['x-amzn-errortype']).toBe(type);
  expect(answer.headers['content-type']).toBe('application/json');
  expect(Object.keys(JSON.parse(answer.body) as object)).toEqual(['message']);
}
