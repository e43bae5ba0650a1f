/**
 * A client that leaves, at every stage: the gateway aborts its upstream call (the emulator sees it end early),
 * records `client-aborted`, and leaks nothing (see `fault-gateway.ts`).
 */
import { once } from 'node:events';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import { EventStreamDecoder } from '../../lib/aws/eventstream';
import { startBedrockEmulator, type BedrockEmulator, type Behaviour } from '../../lib/testing';
import { MASTER_KEY, type RunningGateway } from '../support/gateway';
import { until } from '../support/http2';
import { CONVERSE, withFaultCase, withServer, type FaultCase } from './fault-gateway';

let emulator: BedrockEmulator;
beforeAll(async () => {
  emulator = await startBedrockEmulator({ replyText: 'one two three four five six seven eight' });
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

const HEADERS = { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' };

/** Starts a call that the test can abandon; its failure (the abort) is expected and swallowed. */
function call(gateway: RunningGateway, operation: 'converse' | 'converse-stream') {
  const abort = new AbortController();
  const response = fetch(`${gateway.url}/model/claude/${operation}`, { method: 'POST', headers: HEADERS, body: CONVERSE, signal: abort.signal });
  response.catch(() => undefined);
  return { response, leave: () => abort.abort() };
}

/**
 * What every departure must leave: a `client-aborted` record (status 499 when no head had gone out to the client, else
 * the status it got), no answered usage, the upstream call (if any) ended early.
 */
async function expectAbandoned({ record }: FaultCase, upstreamCalls: number, status = 499): Promise<void> {
  expect(await record()).toMatchObject({ outcome: 'client-aborted', usageComplete: false, status });
  expect(emulator.requests).toHaveLength(upstreamCalls);
  if (upstreamCalls > 0) await until(() => emulator.requests.at(-1)?.outcome === 'client-aborted');
}

it('during the body upload: no upstream call is made', async () => {
  await withFaultCase(emulator, {}, async (fault) => {
    const { port } = new URL(fault.gateway.url);
    const socket = connect(Number(port), '127.0.0.1');
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    // Expect: 100-continue makes the server say when the request has reached the gateway's handler.
    socket.write(
      `POST /bedrock/model/claude/converse HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${MASTER_KEY}\r\n` +
        'content-type: application/json\r\ncontent-length: 2000\r\nexpect: 100-continue\r\n\r\n',
    );
    const [interim] = (await once(socket, 'data')) as [Buffer];
    expect(interim.toString()).toMatch(/^HTTP\/1\.1 100 Continue/);
    socket.write('{"messages": [');
    socket.destroy();
    await expectAbandoned(fault, 0);
  });
});

it('while Bedrock has not answered yet', async () => {
  emulator.inject({ firstByteDelayMs: 60_000 });
  await withFaultCase(emulator, {}, async (fault) => {
    const { leave } = call(fault.gateway, 'converse');
    await until(() => emulator.requests[0]?.auth !== undefined);
    leave();
    await expectAbandoned(fault, 1);
  });
});

it('while the gateway is still connecting to Bedrock', async () => {
  // A server that accepts the connection and never completes the TLS handshake.
  const sockets = new Set<Socket>();
  await withServer(
    createTcpServer(),
    async (port) => {
      await withFaultCase(emulator, { endpoint: `https://127.0.0.1:${port}` }, async (fault) => {
        const { leave } = call(fault.gateway, 'converse');
        await until(() => sockets.size === 1);
        leave();
        expect(await fault.record()).toMatchObject({ outcome: 'client-aborted', status: 499 });
        // The gateway let go at once; undici's connection attempt ends when the upstream gives up.
        sockets.forEach((socket) => socket.destroy());
      });
    },
    sockets,
  );
});

it('while the answer’s body is still coming', async () => {
  // The head and half the body, then silence: the gateway is reading the answer whole before it answers.
  emulator.inject({ stall: {} });
  await withFaultCase(emulator, {}, async (fault) => {
    const { leave } = call(fault.gateway, 'converse');
    await until(() => (emulator.requests[0]?.bytesWritten ?? 0) > 0);
    leave();
    await expectAbandoned(fault, 1);
  });
});

it('while a failed attempt waits to be retried', async () => {
  emulator.inject({ error: { type: 'ServiceUnavailableException', retryAfterSeconds: 30 } });
  await withFaultCase(emulator, { routerSettings: { num_retries: 1 } }, async (fault) => {
    const { leave } = call(fault.gateway, 'converse');
    await until(() => emulator.requests[0]?.outcome === 'completed');
    leave();
    expect(await fault.record()).toMatchObject({ outcome: 'client-aborted' });
    // The pause before the retry (up to 10 s) was cut short, and no second call went out.
    expect(emulator.requests).toHaveLength(1);
  });
});

const streamStages: Array<[string, Behaviour, number]> = [
  ['a stream whose first event has not come', { stall: {} }, 0],
  ['a stream midway', { stall: { afterFrames: 3 } }, 3],
];

it.each(streamStages)('%s', async (_label, behaviour, framesBeforeLeaving) => {
  emulator.inject(behaviour);
  await withFaultCase(emulator, {}, async (fault) => {
    const { response, leave } = call(fault.gateway, 'converse-stream');
    if (framesBeforeLeaving === 0) {
      // The emulator sent its head and went silent: the gateway is waiting for the first event.
      await until(() => emulator.requests[0]?.status === 200);
    } else {
      const reader = (await response).body?.getReader();
      const decoder = new EventStreamDecoder();
      let frames = 0;
      while (frames < framesBeforeLeaving) {
        const { value } = (await reader?.read()) ?? {};
        frames += decoder.push(Buffer.from(value ?? [])).length;
      }
    }
    leave();
    await expectAbandoned(fault, 1, framesBeforeLeaving === 0 ? 499 : 200);
  });
});
