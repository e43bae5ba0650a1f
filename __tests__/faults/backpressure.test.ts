/**
 * A slow reader gets backpressure, not buffering: while a client holds back, the gateway stops reading from Bedrock
 * (the emulator can no longer write) and its memory stays flat, however much of the stream is still to come.
 *
 * Measured in bytes, never in time: what the emulator managed to write while the client held back, and the growth of
 * the memory the process holds outside the JavaScript heap (`arrayBuffers`, where every Buffer lives), after a
 * garbage collection so that only what is still referenced counts.
 */
import { once } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { EventStreamDecoder, type EventStreamFrame } from '../../lib/aws/eventstream';
import { startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';
import { MASTER_KEY } from '../support/gateway';
import { until } from '../support/http2';
import { CONVERSE, describeFrame, withFaultCase } from './fault-gateway';

/** 3,072 words of 16 KiB: one 16 KiB frame each, 48 MiB in all. */
const WORD = 'x'.repeat(16 * 1024);
const WORDS = 3072;
const STREAM_BYTES = WORD.length * WORDS;
/**
 * What the gateway may hold on to while its client holds back. Measured, it holds about nothing (the reading moves
 * by ±5 MiB from run to run: buffers in flight when the baseline is taken, lazy accounting of freed ones); a gateway
 * that ignored backpressure holds the whole rest of the stream, 40 MiB and more.
 */
const MAX_GROWTH_BYTES = 16 * 1024 * 1024;

// A collection on demand, so that memory is measured as what is still referenced, not what awaits collection.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
function bufferMemory(): number {
  collectGarbage();
  return process.memoryUsage().arrayBuffers;
}

let emulator: BedrockEmulator;
beforeAll(async () => {
  emulator = await startBedrockEmulator();
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

/** Polls until `read()` has not changed for several polls in a row: the writer is stuck, not slow. */
async function untilSteady(read: () => number): Promise<number> {
  let last = -1;
  let steadyPolls = 0;
  while (steadyPolls < 10) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const now = read();
    steadyPolls = now === last ? steadyPolls + 1 : 0;
    last = now;
  }
  return last;
}

/** Starts the long stream and waits for its head; the body is left unread. */
async function startLongStream(url: string): Promise<IncomingMessage> {
  emulator.inject({ replyText: Array.from({ length: WORDS }, () => WORD).join(' ') });
  const call = request(`${url}/model/claude/converse-stream`, {
    method: 'POST',
    agent: false,
    headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
  });
  call.end(CONVERSE);
  const [response] = (await once(call, 'response')) as [IncomingMessage];
  expect(response.statusCode).toBe(200);
  // Hold back: no listener reads the body, so the client's socket stops reading once its small buffer is full.
  response.pause();
  await until(() => (emulator.requests.at(-1)?.bytesWritten ?? 0) > 0);
  return response;
}

/** Reads the rest of the stream: it must be whole, and every byte as the emulator sent it. */
async function expectWholeStream(response: IncomingMessage): Promise<void> {
  const decoder = new EventStreamDecoder();
  let received = 0;
  let lastFrame: EventStreamFrame | undefined;
  response.on('data', (chunk: Buffer) => {
    received += chunk.length;
    lastFrame = decoder.push(chunk).at(-1) ?? lastFrame;
  });
  response.resume();
  await once(response, 'end');
  expect(decoder.end()).toBeUndefined();
  expect(received).toBe(emulator.requests.at(-1)?.responseBody?.length);
  expect(received).toBeGreaterThan(STREAM_BYTES);
  expect(describeFrame(lastFrame).type).toBe('metadata');
}

it('a client that stops reading a 48 MiB stream pauses the upstream, and the gateway’s memory stays flat', async () => {
  await withFaultCase(emulator, {}, async ({ gateway, record }) => {
    const response = await startLongStream(gateway.url);
    const before = bufferMemory();
    const written = await untilSteady(() => emulator.requests[0]?.bytesWritten ?? 0);
    const growth = bufferMemory() - before;
    // The emulator could write a part of the stream before the gateway stopped taking it (about 8 MiB measured: what
    // the sockets' buffers hold on loopback; all 48 MiB without backpressure)...
    expect(written).toBeLessThan(STREAM_BYTES / 2);
    // ...and the gateway did not keep what it took: the rest waits in Bedrock, not in the gateway.
    expect(growth).toBeLessThan(MAX_GROWTH_BYTES);

    // Reading again, the client gets the whole stream, every byte as the emulator sent it.
    await expectWholeStream(response);
    expect(await record()).toMatchObject({ outcome: 'completed', usageComplete: true, status: 200 });
  });
});

it('a client that stops reading and then leaves: the paused upstream call is aborted', async () => {
  await withFaultCase(emulator, {}, async ({ gateway, record }) => {
    const response = await startLongStream(gateway.url);
    await untilSteady(() => emulator.requests.at(-1)?.bytesWritten ?? 0);
    response.destroy();
    expect(await record()).toMatchObject({ outcome: 'client-aborted', usageComplete: false });
    await until(() => emulator.requests.at(-1)?.outcome === 'client-aborted');
  });
});

it('a client that holds back longer than stream_timeout still gets the whole stream: its silence is not the upstream’s', async () => {
  // A second, not less: 48 MiB go through this one process (emulator, gateway and client) once the client reads again,
  // and a busy machine must not make the emulator's own pauses look like a stall.
  await withFaultCase(emulator, { routerSettings: { stream_timeout: 1 } }, async ({ gateway, record }) => {
    const response = await startLongStream(gateway.url);
    await untilSteady(() => emulator.requests.at(-1)?.bytesWritten ?? 0);
    // The scenario itself: a reader paused for twice the longest silence allowed from upstream.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await expectWholeStream(response);
    expect(await record()).toMatchObject({ outcome: 'completed', usageComplete: true, status: 200 });
  });
});
