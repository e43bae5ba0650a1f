/**
 * The core handler on node:http2's compatibility API, with neither Express nor the CLI: what a host app can serve to
 * the AWS SDK's default client, which calls Bedrock Runtime over HTTP/2 (docs/express.md, "HTTP/2").
 */
import { ConverseCommand, ConverseStreamCommand, ValidationException, type ConverseStreamOutput } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttp2Handler } from '@smithy/node-http-handler';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import {
  connect,
  createSecureServer,
  createServer,
  type ClientHttp2Session,
  type Http2SecureServer,
  type Http2Server,
} from 'node:http2';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { GatewayError, sendGatewayError } from '../../lib/errors';
import { createBedrockHandler, type BedrockHandler } from '../../lib/handler';
import { startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';
import { CLAUDE_ID, MESSAGES } from '../support/bedrock-requests';
import { MASTER_KEY, deploymentOn } from '../support/gateway';
import { defaultSdkClient, http2Request } from '../support/http2';

const TEST_CA = readFileSync(join(__dirname, '..', 'fixtures', 'tls', 'cert.pem'));
const TEST_KEY = readFileSync(join(__dirname, '..', 'fixtures', 'tls', 'key.pem'));
const REPLY = 'Hello over HTTP/2.';
const MAX_REQUEST_SIZE_MB = 0.01;


let emulator: BedrockEmulator;
let handler: BedrockHandler;

beforeAll(async () => {
  emulator = await startBedrockEmulator({ replyText: REPLY });
  handler = createBedrockHandler({
    model_list: [deploymentOn(emulator, 'claude', CLAUDE_ID)],
    general_settings: { master_key: MASTER_KEY, max_request_size_mb: MAX_REQUEST_SIZE_MB },
    mountPath: '/bedrock',
  });
});
afterAll(async () => {
  await handler.close();
  await emulator.close();
});
beforeEach(() => emulator.reset());

async function listen(server: Http2Server | Http2SecureServer): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

async function replyOf(stream: AsyncIterable<ConverseStreamOutput> | undefined): Promise<string> {
  let text = '';
  for await (const event of stream ?? []) text += event.contentBlockDelta?.delta?.text ?? '';
  return text;
}

describe('http2.createServer(handler): cleartext HTTP/2, the SDK as it comes', () => {
  let server: Http2Server;
  let url: string;
  const sessions: ClientHttp2Session[] = [];

  beforeAll(async () => {
    server = createServer(handler);
    url = `http://127.0.0.1:${await listen(server)}/bedrock`;
  });
  afterAll(() => {
    for (const session of sessions) session.destroy();
    server.close();
  });

  it('Converse and ConverseStream', async () => {
    const client = defaultSdkClient(url, MASTER_KEY);
    const answer = await client.send(new ConverseCommand({ modelId: 'claude', messages: MESSAGES }));
    expect(answer.output?.message?.content?.[0]?.text).toBe(REPLY);
    const streamed = await client.send(new ConverseStreamCommand({ modelId: 'claude', messages: MESSAGES }));
    expect(await replyOf(streamed.stream)).toBe(REPLY);
  });

  it('a body over the limit: 413 ValidationException, and the server goes on', async () => {
    const big = [{ role: 'user' as const, content: [{ text: 'x'.repeat(MAX_REQUEST_SIZE_MB * 2 * 1024 * 1024) }] }];
    const refused = defaultSdkClient(url, MASTER_KEY).send(new ConverseCommand({ modelId: 'claude', messages: big }));
    await expect(refused).rejects.toBeInstanceOf(ValidationException);
    await expect(refused).rejects.toMatchObject({ $metadata: { httpStatusCode: 413 } });
    const after = await defaultSdkClient(url, MASTER_KEY).send(new ConverseCommand({ modelId: 'claude', messages: MESSAGES }));
    expect(after.output?.message?.content?.[0]?.text).toBe(REPLY);
  });

  it('the admin API answers over HTTP/2, HEAD without a body', async () => {
    const session = connect(new URL(url).origin);
    sessions.push(session);
    const headers = { ':path': '/bedrock/admin/deployments', authorization: `Bearer ${MASTER_KEY}` };
    const deployments = await http2Request(session, headers);
    expect(deployments.status).toBe(200);
    expect((JSON.parse(deployments.body.toString()) as { deployments: unknown[] }).deployments).toHaveLength(1);
    const head = await http2Request(session, { ...headers, ':method': 'HEAD' });
    expect([head.status, head.headers['content-length'], head.body.length]).toEqual([200, String(deployments.body.length), 0]);
  });
});

describe('http2.createSecureServer({ allowHTTP1: true }, handler): TLS, HTTP/2 and HTTP/1.1 by ALPN', () => {
  let server: Http2SecureServer;
  let url: string;

  beforeAll(async () => {
    server = createSecureServer({ key: TEST_KEY, cert: TEST_CA, allowHTTP1: true }, handler);
    url = `https://127.0.0.1:${await listen(server)}/bedrock`;
  });
  afterAll(() => server.close());

  it('HTTP/2: the SDK, trusting the test certificate, Converses and streams', async () => {
    const client = defaultSdkClient(url, MASTER_KEY, {
      requestHandler: new NodeHttp2Handler({ disableConcurrentStreams: true, nodeHttp2ConnectOptions: { ca: TEST_CA } }),
    });
    const answer = await client.send(new ConverseCommand({ modelId: 'claude', messages: MESSAGES }));
    expect(answer.output?.message?.content?.[0]?.text).toBe(REPLY);
    const streamed = await client.send(new ConverseStreamCommand({ modelId: 'claude', messages: MESSAGES }));
    expect(await replyOf(streamed.stream)).toBe(REPLY);
  });

  it('HTTP/1.1 on the same server', async () => {
    const agent = new HttpsAgent({ ca: TEST_CA, ALPNProtocols: ['http/1.1'] });
    const answer = await new Promise<{ httpVersion: string; status?: number }>((resolve, reject) => {
      const options = { method: 'POST', agent, headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' } };
      const req = httpsRequest(`${url}/model/claude/converse`, options, (res) => {
        res.resume();
        resolve({ httpVersion: res.httpVersion, status: res.statusCode });
      });
      req.on('error', reject);
      req.end(JSON.stringify({ messages: MESSAGES }));
    });
    expect(answer).toEqual({ httpVersion: '1.1', status: 200 });
    agent.destroy();
  });
});

it('an error after the answer has started cuts the HTTP/2 stream so that the client sees it fail, not end', async () => {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
    res.write('the first frames');
    sendGatewayError(res as unknown as ServerResponse, new GatewayError('InternalServerException', 'Internal gateway error.'));
  });
  const session = connect(`http://127.0.0.1:${await listen(server)}`);
  try {
    const answer = await http2Request(session, { ':path': '/' });
    expect([answer.status, answer.body.toString(), answer.cut]).toEqual([200, 'the first frames', true]);
  } finally {
    session.destroy();
    server.close();
  }
});
