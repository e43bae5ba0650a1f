/**
 * The CLI server's dispatch, in process, around a stub handler: what goes where, what readiness shows, and HTTP/1.1
 * and HTTP/2 told apart on one port.
 */
import { once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { connect as http2Connect, type ClientHttp2Session } from 'node:http2';
import { connect as tcpConnect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { createGatewayServer } from '../../lib/cli/server';
import type { BedrockHandler } from '../../lib/handler';
import { createSpendTable } from '../../lib/tracking/spend-table';
import { MemoryStore } from '../../lib/state/memory-store';
import type { Deployment } from '../../lib/types';
import { http2Request, until } from '../support/http2';

const DEPLOYMENT: Deployment = {
  id: 'claude-east',
  modelName: 'claude',
  modelId: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
  region: 'us-east-1',
  endpoint: 'https://vpce-0abc.bedrock-runtime.us-east-1.vpce.amazonaws.com/base',
  weight: 3,
  rpm: 100,
};

let server: Server;
let origin: string;
const seen: string[] = [];
/** Responses to `/bedrock/hold`, which the stub handler leaves unfinished. */
const held: ServerResponse[] = [];

beforeAll(async () => {
  const serve = (req: IncomingMessage, res: ServerResponse) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.url === '/bedrock/hold') return void held.push(res);
    res.end('handled');
  };
  const handler: BedrockHandler = Object.assign(serve as unknown as BedrockHandler, {
    deployments: [DEPLOYMENT],
    spend: createSpendTable(new MemoryStore()),
    close: async () => undefined,
  });
  // Without TLS, node:http's server (HTTP/2 connections are handed on from it).
  server = (createGatewayServer(handler) as Server).listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => (seen.length = 0));

it('readiness shows five fields of each deployment, and nothing else of it', async () => {
  const response = await fetch(`${origin}/bedrock/health`);
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(await response.json()).toEqual({
    status: 'ok',
    deployments: [
      {
        id: 'claude-east',
        modelName: 'claude',
        modelId: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
        region: 'us-east-1',
        endpoint: 'https://vpce-0abc.bedrock-runtime.us-east-1.vpce.amazonaws.com/base',
      },
    ],
  });
});

it('answers HEAD on the health paths, without a body', async () => {
  for (const path of ['/health', '/bedrock/health']) {
    const response = await fetch(`${origin}${path}`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  }
  expect(seen).toEqual([]);
});

it('passes everything else below /bedrock to the handler as received, the query and other methods on health included', async () => {
  await fetch(`${origin}/bedrock/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse?x=1`, { method: 'POST', body: '{}' });
  await fetch(`${origin}/bedrock/health`, { method: 'POST', body: '{}' });
  await fetch(`${origin}/bedrock`);
  expect(seen).toEqual([
    'POST /bedrock/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse?x=1',
    'POST /bedrock/health',
    'GET /bedrock',
  ]);
});

it('reads the health paths without their query', async () => {
  const response = await fetch(`${origin}/health?probe=kubelet`);
  expect(await response.json()).toEqual({ status: 'ok' });
});

describe('HTTP/2 beside HTTP/1.1 on the same port', () => {
  const sessions: ClientHttp2Session[] = [];
  const openSession = (at = origin) => {
    const session = http2Connect(at);
    sessions.push(session);
    return session;
  };
  afterEach(() => {
    for (const session of sessions.splice(0)) session.destroy();
  });

  it('dispatches HTTP/2 requests as HTTP/1.1 ones', async () => {
    const session = openSession();
    const health = await http2Request(session, { ':path': '/health' });
    expect([health.status, health.headers['cache-control'], JSON.parse(health.body.toString())]).toEqual([200, 'no-store', { status: 'ok' }]);
    const handled = await http2Request(session, { ':method': 'POST', ':path': '/bedrock/model/claude/converse?x=1' }, '{}');
    expect([handled.status, handled.body.toString()]).toEqual([200, 'handled']);
    const elsewhere = await http2Request(session, { ':path': '/v1/models' });
    expect([elsewhere.status, elsewhere.headers['x-amzn-errortype']]).toEqual([404, 'UnknownOperationException']);
    expect(seen).toEqual(['POST /bedrock/model/claude/converse?x=1']);
  });

  it.each([
    ['HTTP/2, its preface cut after "PRI * HTTP"', 10],
    ['HTTP/1.1, its request line cut after "GE"', 2],
  ])('tells the protocol from first bytes that come in pieces: %s', async (protocol, splitAt) => {
    const relay = await startSplittingRelay(splitAt);
    try {
      const status = protocol.startsWith('HTTP/2')
        ? (await http2Request(openSession(relay.origin), { ':path': '/health' })).status
        : (await fetch(`${relay.origin}/health`, { headers: { connection: 'close' } })).status;
      expect(status).toBe(200);
    } finally {
      relay.close();
    }
  });

  it('a client that goes away leaves its HTTP/2 response closed unfinished, for the gateway to abort its upstream call', async () => {
    const session = openSession();
    session.request({ ':path': '/bedrock/hold' }).on('error', () => undefined).end();
    await until(() => held.length === 1);
    const response = held[0] as ServerResponse;
    let closed = false;
    response.once('close', () => (closed = true));
    session.destroy();
    await until(() => closed, 2000);
    expect(response.writableEnded).toBe(false);
    held.length = 0;
  });

  it('survives a connection reset before its first byte', async () => {
    const socket = tcpConnect(Number(new URL(origin).port), '127.0.0.1');
    await once(socket, 'connect');
    socket.resetAndDestroy();
    await once(socket, 'close');
    expect((await fetch(`${origin}/health`)).status).toBe(200);
  });
});

/**
 * A TCP relay to the server that forwards the first `splitAt` bytes of each connection on their own and the rest a
 * moment later: the server sees a connection's first bytes in two reads.
 */
async function startSplittingRelay(splitAt: number): Promise<{ origin: string; close(): void }> {
  const port = Number(new URL(origin).port);
  const connections = new Set<Socket>();
  const relay = createTcpServer((client) => {
    const upstream = tcpConnect(port, '127.0.0.1');
    for (const socket of [client, upstream]) {
      connections.add(socket);
      socket.on('error', () => undefined).on('close', () => connections.delete(socket));
    }
    upstream.pipe(client);
    client.once('data', (first: Buffer) => {
      client.pause();
      upstream.write(first.subarray(0, splitAt));
      setTimeout(() => {
        upstream.write(first.subarray(splitAt));
        client.pipe(upstream);
      }, 20);
    });
  });
  relay.listen(0, '127.0.0.1');
  await once(relay, 'listening');
  return {
    origin: `http://127.0.0.1:${(relay.address() as AddressInfo).port}`,
    close: () => {
      for (const socket of connections) socket.destroy();
      relay.close();
    },
  };
}
