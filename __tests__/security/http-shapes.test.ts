/**
 * What an attacker controls at the HTTP level — the request line, the headers, how the body is framed, how much of it
 * comes — against the CLI's server (node:http, as `serve()` builds it) on raw sockets, and against an Express mount
 * where the gateway itself decides (the body limit). Every refusal is Bedrock-shaped and reaches no upstream.
 */
import createExpressApp from 'express';
import { once } from 'node:events';
import { connect as http2Connect } from 'node:http2';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { answerClientError, answerUnmetExpectation } from '../../lib';
import { startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';
import { MASTER_KEY, deploymentOn, startGateway, type RunningGateway } from '../support/gateway';
import { http2Request } from '../support/http2';
import { expectRawBedrockError, httpRequest, parseAnswer, rawRequest, startCliServer, type CliServer, type RawAnswer } from './raw-http';

const BODY = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Hi' }] }] });
const CONVERSE = '/bedrock/model/claude/converse';
/** The limit of both gateways below: 1 MiB. */
const MAX_REQUEST_SIZE_MB = 1;
const LIMIT_BYTES = 1024 * 1024;

let emulator: BedrockEmulator;
let cli: CliServer;
let express: RunningGateway;

beforeAll(async () => {
  emulator = await startBedrockEmulator();
  const options = {
    model_list: [deploymentOn(emulator, 'claude', 'anthropic.claude-3-5-sonnet-20240620-v1:0')],
    general_settings: { master_key: MASTER_KEY, max_request_size_mb: MAX_REQUEST_SIZE_MB },
  };
  cli = await startCliServer(options);
  express = await startGateway(options);
});
afterAll(async () => {
  await cli.close();
  await express.close();
  await emulator.close();
});
beforeEach(() => emulator.reset());

/** A well-formed Converse call's headers, with `extra` lines added before the blank line. */
function converseHeaders(...extra: string[]): string[] {
  return ['Host: gateway.test', `Authorization: Bearer ${MASTER_KEY}`, 'Content-Type: application/json', 'Connection: close', ...extra];
}

const converse = (...extra: string[]) => httpRequest('POST', CONVERSE, [...converseHeaders(...extra), `Content-Length: ${BODY.length}`], BODY);

it('serves the well-formed request the refusals below are variations of', async () => {
  const answer = await rawRequest(cli.port, converse());
  expect(answer.status).toBe(200);
  expect(emulator.requests).toHaveLength(1);
});

describe('request smuggling shapes are refused by the server before the gateway sees them', () => {
  afterEach(() => expect(emulator.requests).toHaveLength(0));

  const chunked = `${BODY.length.toString(16)}\r\n${BODY}\r\n0\r\n\r\n`;
  it.each([
    ['content-length and transfer-encoding', [`Content-Length: ${BODY.length}`, 'Transfer-Encoding: chunked'], chunked],
    ['transfer-encoding, then content-length', ['Transfer-Encoding: chunked', `Content-Length: ${BODY.length}`], chunked],
    ['two different content-lengths', [`Content-Length: ${BODY.length}`, 'Content-Length: 5'], BODY],
    ['two equal content-lengths', [`Content-Length: ${BODY.length}`, `Content-Length: ${BODY.length}`], BODY],
    ['a content-length list', [`Content-Length: ${BODY.length}, ${BODY.length}`], BODY],
    ['a signed content-length', [`Content-Length: +${BODY.length}`], BODY],
    ['chunked, not last', ['Transfer-Encoding: chunked, identity'], chunked],
    ['a space before the colon', ['Transfer-Encoding : chunked'], chunked],
  ])('%s', async (_shape, framing, body) => {
    const answer = await rawRequest(cli.port, httpRequest('POST', CONVERSE, [...converseHeaders(), ...framing], body));
    expectRawBedrockError(answer, 400, 'ValidationException');
    expect(answer.headers['connection']).toBe('close');
  });

  it('an Expect other than 100-continue: 417, Bedrock-shaped, connection closed', async () => {
    const answer = await rawRequest(cli.port, converse('Expect: 200-ok'));
    expectRawBedrockError(answer, 417, 'ValidationException');
    expect(answer.headers['connection']).toBe('close');
  });

  it('an Express host gets the same answers with the exported clientError and checkExpectation listeners', async () => {
    const app = createExpressApp();
    app.use('/bedrock', express.passthrough);
    const server = app.listen(0, '127.0.0.1');
    server.on('clientError', answerClientError);
    server.on('checkExpectation', answerUnmetExpectation);
    await once(server, 'listening');
    try {
      const port = (server.address() as AddressInfo).port;
      const twoLengths = [...converseHeaders(), `Content-Length: ${BODY.length}`, 'Content-Length: 5'];
      expectRawBedrockError(await rawRequest(port, httpRequest('POST', CONVERSE, twoLengths, BODY)), 400, 'ValidationException');
      expectRawBedrockError(await rawRequest(port, converse('Expect: 200-ok')), 417, 'ValidationException');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('header injection is refused', () => {
  afterEach(() => expect(emulator.requests).toHaveLength(0));

  it.each([
    ['a CR inside a value', 'X-Team: a\rInjected: yes'],
    ['a LF inside a value', 'X-Team: a\nInjected: yes'],
    ['a NUL inside a value', 'X-Team: a\0b'],
    ['a folded line', 'X-Team: a\r\n Injected: yes'],
    ['a CR inside a name', 'X-Te\ram: a'],
  ])('%s', async (_shape, header) => {
    expectRawBedrockError(await rawRequest(cli.port, converse(header)), 400, 'ValidationException');
  });

  it('in the request line', async () => {
    const answer = await rawRequest(cli.port, `POST ${CONVERSE}\rX HTTP/1.1\r\n${converseHeaders().join('\r\n')}\r\n\r\n`);
    expectRawBedrockError(answer, 400, 'ValidationException');
  });
});

describe('oversize heads are refused early', () => {
  afterEach(() => expect(emulator.requests).toHaveLength(0));

  it('one header over node:http’s 16 KiB limit: 431', async () => {
    expectRawBedrockError(await rawRequest(cli.port, converse(`X-Team: ${'a'.repeat(20_000)}`)), 431, 'ValidationException');
  });

  it('a head of many small headers over the limit: 431', async () => {
    const many = Array.from({ length: 1000 }, (_, index) => `X-Filler-${index}: ${'b'.repeat(16)}`);
    expectRawBedrockError(await rawRequest(cli.port, converse(...many)), 431, 'ValidationException');
  });

  it('over HTTP/2, a header list over 64 KiB (nghttp2’s limit): the stream is refused', async () => {
    const session = http2Connect(`http://127.0.0.1:${cli.port}`);
    session.on('error', () => undefined);
    try {
      const headers = { ':method': 'POST', ':path': CONVERSE, authorization: `Bearer ${MASTER_KEY}`, 'x-team': 'a'.repeat(70_000) };
      const answer = await http2Request(session, headers, BODY);
      expect(answer.cut).toBe(true);
      expect(answer.body.length).toBe(0);
    } finally {
      session.close();
    }
  });

  it('a target over the limit: 431, before any route or key is looked at', async () => {
    const answer = await rawRequest(cli.port, httpRequest('POST', `/bedrock/model/${'m'.repeat(20_000)}/converse`, converseHeaders()));
    expectRawBedrockError(answer, 431, 'ValidationException');
  });
});

describe('the upstream host comes from the config only', () => {
  /** The one upstream request, which must have gone to the emulator, at the deployment's path. */
  function expectUpstreamFromConfig(): void {
    expect(emulator.requests).toHaveLength(1);
    const [sent] = emulator.requests;
    expect(sent?.headers.host).toBe(new URL(emulator.url).host);
    expect(sent?.url).toBe('/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse');
    expect(Object.keys(sent?.headers ?? {}).filter((name) => /forwarded|^x-real-ip$|^x-original|^x-rewrite/.test(name))).toEqual([]);
  }

  it.each([
    ['Host', converse().replace('Host: gateway.test', 'Host: evil.example')],
    ['X-Forwarded-*', converse('X-Forwarded-Host: evil.example', 'X-Forwarded-Proto: https', 'X-Forwarded-For: 10.0.0.1', 'X-Forwarded-Port: 8443')],
    ['Forwarded', converse('Forwarded: for=10.0.0.1;host=evil.example;proto=https')],
    ['X-Original-URL and X-Rewrite-URL', converse('X-Original-URL: /model/other/converse', 'X-Rewrite-URL: /guardrail-checks/invoke')],
    ['x-pass-host', converse('X-Pass-Host: evil.example', 'X-Pass-X-Forwarded-Host: evil.example')],
  ])('%s names no host and no path', async (_header, request) => {
    expect((await rawRequest(cli.port, request)).status).toBe(200);
    expectUpstreamFromConfig();
  });

  it('an absolute-form target is not proxied anywhere: 404 on the CLI, and on an Express mount', async () => {
    const target = `http://evil.example${CONVERSE}`;
    const request = httpRequest('POST', target, [...converseHeaders(), `Content-Length: ${BODY.length}`], BODY);
    for (const port of [cli.port, Number(new URL(express.origin).port)]) {
      expectRawBedrockError(await rawRequest(port, request), 404, 'UnknownOperationException');
    }
    expect(emulator.requests).toHaveLength(0);
  });

  it('CONNECT opens no tunnel', async () => {
    const answer = await rawRequest(cli.port, 'CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n');
    expect(answer.status).not.toBe(200);
    expect(emulator.requests).toHaveLength(0);
  });

  it('HTTP/1.1 without a Host header is refused (RFC 9112 §3.2); HTTP/1.0 needs none', async () => {
    const answer = await rawRequest(cli.port, converse().replace('Host: gateway.test\r\n', ''));
    expectRawBedrockError(answer, 400, 'ValidationException');
    expect(emulator.requests).toHaveLength(0);
    const http10 = await rawRequest(cli.port, converse().replace('Host: gateway.test\r\n', '').replace('HTTP/1.1', 'HTTP/1.0'));
    expect(http10.status).toBe(200);
  });
});

/** An upload in progress on a raw socket: the head sent, body bytes written on demand. */
interface Upload {
  readonly socket: Socket;
  /** Resolves with the first answer's head and what followed, once the server has closed the connection. */
  readonly closed: Promise<RawAnswer>;
  /** Resolves once the first bytes of an answer have arrived. */
  readonly answered: Promise<void>;
  /** Body bytes written so far. */
  sent(): number;
  /** Writes `bytes` of body (as chunks when the upload is chunked), waiting for the socket to take them. */
  write(bytes: number): Promise<void>;
}

function startUpload(port: number, head: string, chunked: boolean): Upload {
  const socket = connect(port, '127.0.0.1');
  const received: Buffer[] = [];
  let reset = false;
  let sent = 0;
  socket.on('error', () => (reset = true));
  const answered = new Promise<void>((resolve) => socket.once('data', () => resolve()));
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  const closed = once(socket, 'close').then(() => ({ ...parseAnswer(Buffer.concat(received).toString('latin1')), reset }));
  socket.write(head);
  const piece = Buffer.alloc(64 * 1024, 'a');
  const framed = chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
  return {
    socket,
    closed,
    answered,
    sent: () => sent,
    async write(bytes) {
      for (let written = 0; written < bytes && !socket.destroyed && socket.writable; written += piece.length) {
        sent += piece.length;
        if (!socket.write(framed)) await new Promise((resolve) => socket.once('drain', resolve).once('close', resolve));
      }
    },
  };
}

describe('oversize bodies are refused early, without being buffered', () => {
  afterEach(() => expect(emulator.requests).toHaveLength(0));

  const bigHead = (...extra: string[]) =>
    httpRequest('POST', CONVERSE, ['Host: gateway.test', 'Content-Type: application/json', `Content-Length: ${200 * 1024 * 1024}`, ...extra]);

  it.each([
    ['the CLI', () => cli.port],
    ['an Express mount', () => Number(new URL(express.origin).port)],
  ])('on %s: a 200 MB content-length gets its 413 before a byte of body, and the connection closes cleanly mid-upload', async (_server, port) => {
    const upload = startUpload(port(), bigHead(`Authorization: Bearer ${MASTER_KEY}`), false);
    // Nothing of the body is written until the answer is there: a server that waited for it would time this out.
    await upload.answered;
    // The client goes on uploading, as most do: the server drops what comes (it is not paused, or these writes would
    // stall), and closes once the client stops. Closing at once instead would reset the connection, and a client
    // still writing would lose the 413.
    await upload.write(4 * 1024 * 1024);
    upload.socket.end();
    const answer = await upload.closed;
    expectRawBedrockError(answer, 413, 'ValidationException');
    expect(answer.headers['connection']).toBe('close');
    expect(answer.reset).toBe(false);
  });

  it('is refused on its content-length before the key is checked: nobody gets to upload it', async () => {
    const upload = startUpload(cli.port, bigHead(), false);
    await upload.answered;
    upload.socket.end();
    // A 403 would mean the key was looked at first.
    expectRawBedrockError(await upload.closed, 413, 'ValidationException');
  });

  it('a chunked upload without end is refused once it passes the limit, while it is still going on', async () => {
    const upload = startUpload(cli.port, httpRequest('POST', CONVERSE, [...converseHeaders(), 'Transfer-Encoding: chunked']), true);
    let answered = false;
    void upload.answered.then(() => (answered = true));
    // Never the last chunk: the whole body never exists, so the refusal cannot have waited for it.
    while (!answered && upload.sent() < 64 * LIMIT_BYTES) await upload.write(64 * 1024);
    expect(answered).toBe(true);
    upload.socket.end();
    const answer = await upload.closed;
    expect(answer.status).toBe(413);
    expect(answer.reset).toBe(false);
  });
});
