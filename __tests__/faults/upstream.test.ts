/**
 * Upstream faults: each gives the client a defined outcome (a Bedrock-shaped error, or a stream that ends with an
 * exception frame), leaves a usage record that names the failure, and leaks nothing (see `fault-gateway.ts`).
 * One attempt per request: the failure itself is under test here, failover is in `../routing/failover.test.ts`.
 */
import { ConverseCommand, ModelTimeoutException, ServiceUnavailableException } from '@aws-sdk/client-bedrock-runtime';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Agent, request, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Express } from 'express';
import { startBedrockEmulator, type BedrockEmulator, type Behaviour } from '../../lib/testing';
import { MESSAGES } from '../support/bedrock-requests';
import { MASTER_KEY, post, sdkClient } from '../support/gateway';
import { CONVERSE, DEPLOYMENT_ID, FAILOVER_ID, decodeFrames, describeFrame, withFaultCase, withServer, type FaultSetup } from './fault-gateway';

const HEADERS = { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' };

let emulator: BedrockEmulator;
beforeAll(async () => {
  emulator = await startBedrockEmulator({ replyText: 'one two three four five six seven eight' });
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

/** The error a plain call got: status, type and message. */
async function errorOf(response: Response): Promise<{ status: number; type: string | undefined; message: string }> {
  const body = (await response.json()) as { message: string };
  return { status: response.status, type: response.headers.get('x-amzn-errortype')?.split(':')[0], message: body.message };
}

/**
 * An HTTPS server with the test certificate (self-signed, see `../fixtures/tls/`), which the gateway does not trust;
 * it notes the path of any request that reaches it.
 */
function untrustedTlsServer(requests: string[] = []) {
  const tls = join(__dirname, '..', 'fixtures', 'tls');
  return createHttpsServer({ key: readFileSync(join(tls, 'key.pem')), cert: readFileSync(join(tls, 'cert.pem')) }, (req, res) => {
    requests.push(req.url ?? '');
    res.end('{}');
  });
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createTcpServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('before the answer: the client gets a Bedrock error, the record names the failure', () => {
  async function expectUnreachable(setup: FaultSetup, errorType: RegExp): Promise<void> {
    await withFaultCase(emulator, setup, async ({ gateway, record }) => {
      const error = await errorOf(await post(gateway, '/model/claude/converse', CONVERSE));
      expect(error).toEqual({ status: 503, type: 'ServiceUnavailableException', message: expect.stringMatching(new RegExp(`^Deployment ${DEPLOYMENT_ID} could not be reached \\(${errorType.source}\\)\\.$`)) });
      expect(await record()).toMatchObject({ status: 503, outcome: 'completed', errorType: expect.stringMatching(errorType), deploymentId: DEPLOYMENT_ID });
      expect((await record()).attempts).toEqual([expect.objectContaining({ outcome: 'failed', errorType: expect.stringMatching(errorType) })]);
    });
  }

  it('a refused connection', async () => {
    await expectUnreachable({ endpoint: `http://127.0.0.1:${await closedPort()}` }, /ECONNREFUSED/);
  });

  it('a name that does not resolve', async () => {
    // .invalid never resolves (RFC 6761); offline, the resolver may say so as a temporary failure.
    await expectUnreachable({ endpoint: 'http://does-not-exist.invalid:1' }, /ENOTFOUND|EAI_AGAIN/);
  });

  it('a TLS certificate the gateway does not trust (self-signed)', async () => {
    const requests: string[] = [];
    await withServer(untrustedTlsServer(requests), async (port) => {
      await expectUnreachable({ endpoint: `https://127.0.0.1:${port}` }, /DEPTH_ZERO_SELF_SIGNED_CERT/);
    });
    // Nothing of the request was sent: the handshake failed first.
    expect(requests).toEqual([]);
  });

  it('an operation that acts (StartAsyncInvoke) moves on to another deployment when the request never went out', async () => {
    // Such operations are tried again only when Bedrock surely did not act: a failed handshake is such a case.
    await withServer(untrustedTlsServer(), async (port) => {
      await withFaultCase(emulator, { endpoint: `https://127.0.0.1:${port}`, routerSettings: { num_retries: 1 }, failover: true }, async ({ gateway, record }) => {
        const body = JSON.stringify({ modelId: 'claude', modelInput: {}, outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://bucket/' } } });
        const response = await post(gateway, '/async-invoke', body);
        expect(response.status).toBe(200);
        expect(response.headers.get('x-bedrock-passthrough-deployment')).toBe(FAILOVER_ID);
        expect((await record()).attempts).toEqual([
          expect.objectContaining({ deploymentId: DEPLOYMENT_ID, outcome: 'failed', errorType: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
          expect.objectContaining({ deploymentId: FAILOVER_ID, outcome: 'served' }),
        ]);
      });
    });
  });

  it('a connection reset before the head', async () => {
    emulator.inject({ cutConnection: {} });
    await expectUnreachable({}, /UND_ERR_SOCKET/);
    expect(emulator.requests[0]?.outcome).toBe('connection-cut');
  });

  it('no head within the timeout: ModelTimeoutException, and the upstream call is aborted', async () => {
    emulator.inject({ firstByteDelayMs: 60_000 });
    await withFaultCase(emulator, { routerSettings: { timeout: 0.3 } }, async ({ gateway, record }) => {
      const error = await errorOf(await post(gateway, '/model/claude/converse', CONVERSE));
      expect(error).toEqual({ status: 408, type: 'ModelTimeoutException', message: `Deployment ${DEPLOYMENT_ID} did not answer within 0.3 s.` });
      expect(await record()).toMatchObject({ status: 408, outcome: 'completed', errorType: 'Timeout' });
    });
    expect(emulator.requests[0]?.outcome).toBe('client-aborted');
  });

  it('the AWS SDK raises them as its own exceptions', async () => {
    emulator.inject({ firstByteDelayMs: 60_000 });
    await withFaultCase(emulator, { routerSettings: { timeout: 0.3 } }, async ({ gateway }) => {
      const client = sdkClient(gateway);
      try {
        await expect(client.send(new ConverseCommand({ modelId: 'claude', messages: MESSAGES }))).rejects.toBeInstanceOf(ModelTimeoutException);
      } finally {
        client.destroy();
      }
    });
    await withFaultCase(emulator, { endpoint: `http://127.0.0.1:${await closedPort()}` }, async ({ gateway }) => {
      const client = sdkClient(gateway);
      try {
        await expect(client.send(new ConverseCommand({ modelId: 'claude', messages: MESSAGES }))).rejects.toBeInstanceOf(ServiceUnavailableException);
      } finally {
        client.destroy();
      }
    });
  });

  it('a TLS handshake that never completes is bounded by the timeout too', async () => {
    // A server that accepts the connection and says nothing: the gateway is still connecting when time runs out.
    const sockets = new Set<Socket>();
    await withServer(
      createTcpServer(),
      async (port) => {
        await withFaultCase(emulator, { endpoint: `https://127.0.0.1:${port}`, routerSettings: { timeout: 0.3 } }, async ({ gateway, record }) => {
          const error = await errorOf(await post(gateway, '/model/claude/converse', CONVERSE));
          expect(error).toMatchObject({ status: 408, type: 'ModelTimeoutException' });
          const { errorType, latencyMs } = await record();
          expect(errorType).toBe('Timeout');
          // The router's timeout (0.3 s) ended it, not undici giving up the handshake at its connect timeout (10 s):
          // the bound only tells the two apart, with room for a slow machine.
          expect(latencyMs).toBeLessThan(5000);
          // undici cannot withdraw a connection it is still setting up: the upstream giving up ends it here, so that
          // closing the gateway need not wait for the connect timeout.
          sockets.forEach((socket) => socket.destroy());
        });
      },
      sockets,
    );
  });
});

describe('plain answers that fail after the head', () => {
  const cases: Array<[string, Behaviour, FaultSetup, { status: number; type: string; message: RegExp; errorType: string }]> = [
    [
      'a reset halfway through the body',
      { cutConnection: { midBody: true } },
      {},
      { status: 503, type: 'ServiceUnavailableException', message: /broke off its answer/, errorType: 'AnswerBroken' },
    ],
    [
      'a stall halfway through the body, past the timeout',
      { stall: {} },
      { routerSettings: { timeout: 0.3 } },
      { status: 408, type: 'ModelTimeoutException', message: /did not answer within 0.3 s/, errorType: 'Timeout' },
    ],
    [
      'an answer larger than the gateway holds (64 MiB)',
      { padToBytes: 64 * 1024 * 1024 + 1 },
      {},
      { status: 500, type: 'InternalServerException', message: /more than 67108864 bytes/, errorType: 'AnswerTooLarge' },
    ],
  ];

  it.each(cases)('%s', async (_label, behaviour, setup, expected) => {
    emulator.inject(behaviour);
    await withFaultCase(emulator, setup, async ({ gateway, record }) => {
      const error = await errorOf(await post(gateway, '/model/claude/converse', CONVERSE));
      expect(error).toEqual({ status: expected.status, type: expected.type, message: expect.stringMatching(expected.message) });
      expect(await record()).toMatchObject({ status: expected.status, outcome: 'completed', errorType: expected.errorType });
    });
  });

  it('an error answer that breaks off reaches the client as a well-formed error, not as cut JSON', async () => {
    emulator.inject({ error: { type: 'ValidationException', message: 'x'.repeat(64 * 1024) }, cutConnection: { midBody: true } });
    await withFaultCase(emulator, {}, async ({ gateway, record }) => {
      const error = await errorOf(await post(gateway, '/model/claude/converse', CONVERSE));
      expect(error).toEqual({ status: 400, type: 'ValidationException', message: expect.stringMatching(/with a body that broke off/) });
      expect(await record()).toMatchObject({ status: 400, errorType: 'ValidationException' });
    });
  });

  it('an error answer larger than the gateway keeps (1 MiB) still reaches the client as a well-formed error', async () => {
    emulator.inject({ error: { type: 'ValidationException', message: 'x'.repeat(2 * 1024 * 1024) } });
    await withFaultCase(emulator, {}, async ({ gateway, record }) => {
      const error = await errorOf(await post(gateway, '/model/claude/converse', CONVERSE));
      expect(error).toEqual({ status: 400, type: 'ValidationException', message: expect.stringMatching(/larger than 1048576 bytes/) });
      expect(await record()).toMatchObject({ status: 400, errorType: 'ValidationException' });
    });
  });
});

describe('streams that fail before their first event: a Bedrock error, no stream', () => {
  const cases: Array<[string, Behaviour, FaultSetup, { status: number; type: string; message: RegExp; errorType: string }]> = [
    ['a reset before the head', { cutConnection: { afterFrames: 0 } }, {}, { status: 503, type: 'ServiceUnavailableException', message: /could not be reached \(UND_ERR_SOCKET\)/, errorType: 'UND_ERR_SOCKET' }],
    ['a corrupt first frame', { corruptFrame: { afterFrames: 0 } }, {}, { status: 503, type: 'ServiceUnavailableException', message: /before the first event \(corrupt\)/, errorType: 'StreamFailed' }],
    ['a first frame cut short by a clean end', { truncateFrame: { afterFrames: 0 } }, {}, { status: 503, type: 'ServiceUnavailableException', message: /before the first event \(ended\)/, errorType: 'StreamFailed' }],
    [
      'no head within stream_timeout',
      { firstByteDelayMs: 60_000 },
      { routerSettings: { stream_timeout: 0.3 } },
      { status: 503, type: 'ServiceUnavailableException', message: /sent no event within 0.3 s/, errorType: 'Timeout' },
    ],
    [
      'a head, then silence past stream_timeout',
      { stall: {} },
      { routerSettings: { stream_timeout: 0.3 } },
      { status: 503, type: 'ServiceUnavailableException', message: /sent no event within 0.3 s/, errorType: 'Timeout' },
    ],
  ];

  it.each(cases)('%s', async (_label, behaviour, setup, expected) => {
    emulator.inject(behaviour);
    await withFaultCase(emulator, setup, async ({ gateway, record }) => {
      const error = await errorOf(await post(gateway, '/model/claude/converse-stream', CONVERSE));
      expect(error).toEqual({ status: expected.status, type: expected.type, message: expect.stringMatching(expected.message) });
      expect(await record()).toMatchObject({ status: expected.status, outcome: 'completed', errorType: expected.errorType, streamed: true });
    });
  });
});

describe('streams that fail midway: the frames so far, then an internalServerException frame', () => {
  const cases: Array<[string, Behaviour, FaultSetup, string, RegExp]> = [
    ['a reset between frames', { cutConnection: { afterFrames: 3 } }, {}, 'StreamFailed', /other side closed/],
    ['a reset inside a frame', { cutConnection: { afterFrames: 3, midFrame: true } }, {}, 'StreamFailed', /other side closed/],
    ['a corrupt frame', { corruptFrame: { afterFrames: 3 } }, {}, 'CorruptStream', /corrupt event stream \(message-checksum\)/],
    [
      'a frame larger than the gateway decodes (16 MiB)',
      { replyText: `one two ${'x'.repeat(17 * 1024 * 1024)}` },
      {},
      'CorruptStream',
      /corrupt event stream \(frame-too-large\)/,
    ],
    ['a frame cut short by a clean end', { truncateFrame: { afterFrames: 3 } }, {}, 'TruncatedStream', /ended inside a frame/],
    ['a stall past stream_timeout', { stall: { afterFrames: 3 } }, { routerSettings: { stream_timeout: 0.3 } }, 'StreamTimeout', /no event for 0.3 s/],
    ['a stall past the whole call’s timeout', { stall: { afterFrames: 3 } }, { routerSettings: { timeout: 0.5 } }, 'StreamTimeout', /took longer than its timeout/],
  ];

  it.each(cases)('%s', async (_label, behaviour, setup, errorType, reason) => {
    emulator.inject(behaviour);
    await withFaultCase(emulator, setup, async ({ gateway, record }) => {
      const response = await post(gateway, '/model/claude/converse-stream', CONVERSE);
      expect(response.status).toBe(200);
      const frames = decodeFrames(Buffer.from(await response.arrayBuffer()));
      expect(frames.slice(0, -1).map((frame) => describeFrame(frame).type)).toEqual(['messageStart', 'contentBlockDelta', 'contentBlockDelta']);
      const last = describeFrame(frames.at(-1));
      expect(last).toEqual({ type: 'internalServerException', message: expect.stringMatching(new RegExp(`^The stream from deployment ${DEPLOYMENT_ID} failed: `)) });
      expect(last.message).toMatch(reason);
      expect(await record()).toMatchObject({ status: 200, outcome: 'upstream-failed', errorType, usageComplete: false });
    });
  });
});

it('faults one after another on one keep-alive connection leave no listener behind', async () => {
  // Listeners added per request to what outlives it (here the client's connection) would pile up request by request.
  const connections = new Set<Socket>();
  const listeners = (socket: Socket) => Object.fromEntries(socket.eventNames().map((name) => [String(name), socket.listenerCount(name)]));
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const faults: Behaviour[] = [{ error: { type: 'ThrottlingException' } }, { corruptFrame: { afterFrames: 2 } }, { cutConnection: { afterFrames: 2 } }, { truncateFrame: { afterFrames: 1 } }];
  const hostApp = (app: Express) =>
    app.use((req, _res, next) => {
      connections.add(req.socket);
      next();
    });
  try {
    await withFaultCase(emulator, { hostApp }, async ({ gateway }) => {
      let first: Record<string, number> | undefined;
      for (let round = 0; round < 5; round++) {
        for (const fault of faults) {
          emulator.inject(fault);
          const response = await new Promise<IncomingMessage>((resolve, reject) => {
            const outgoing = request(`${gateway.url}/model/claude/converse-stream`, { method: 'POST', agent, headers: HEADERS }, resolve);
            outgoing.on('error', reject);
            outgoing.end(CONVERSE);
          });
          response.resume();
          await once(response, 'end');
          const [connection] = connections;
          first ??= listeners(connection as Socket);
        }
      }
      expect(connections.size).toBe(1);
      expect(listeners([...connections][0] as Socket)).toEqual(first);
    });
  } finally {
    agent.destroy();
  }
});
