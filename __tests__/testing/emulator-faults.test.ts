/** The emulator's faults for reliability tests: stalls, truncated frames, plain answers cut or padded past a size. */
import { ConverseCommand, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { request } from 'node:http';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { EventStreamDecoder } from '../../lib/aws/eventstream';
import { EMULATOR_API_KEY, startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';
import { runtimeClientOn } from '../support/emulator-clients';
import { until } from '../support/http2';

const MODEL = 'amazon.nova-lite-v1:0';
const MESSAGES = [{ role: 'user' as const, content: [{ text: 'Hi' }] }];

let emulator: BedrockEmulator;
beforeAll(async () => {
  emulator = await startBedrockEmulator({ replyText: 'one two three four five' });
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

/** A call with a Bedrock API key, its answer's head and a reader for the body. */
async function call(operation: 'converse' | 'converse-stream'): Promise<IncomingMessage> {
  const outgoing = request(`${emulator.url}/model/${encodeURIComponent(MODEL)}/${operation}`, {
    method: 'POST',
    agent: false,
    headers: { authorization: `Bearer ${EMULATOR_API_KEY}`, 'content-type': 'application/json' },
  });
  outgoing.end(JSON.stringify({ messages: MESSAGES }));
  const [response] = (await once(outgoing, 'response')) as [IncomingMessage];
  return response;
}

/** The whole body, and whether it ended cleanly (`end`) or was cut (`aborted`). */
async function bodyOf(response: IncomingMessage): Promise<{ body: Buffer; ending: 'end' | 'aborted' }> {
  const chunks: Buffer[] = [];
  response.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ending = await new Promise<'end' | 'aborted'>((resolve) => {
    response.once('end', () => resolve('end'));
    response.once('aborted', () => resolve('aborted'));
    response.once('error', () => resolve('aborted'));
  });
  return { body: Buffer.concat(chunks), ending };
}

describe('stall', () => {
  it('in a stream: the head at once, then silence until the caller leaves', async () => {
    emulator.inject({ stall: { afterFrames: 2 } });
    const response = await call('converse-stream');
    expect(response.statusCode).toBe(200);
    const decoder = new EventStreamDecoder();
    let frames = 0;
    response.on('data', (chunk: Buffer) => (frames += decoder.push(chunk).length));
    await until(() => frames === 2);
    expect(emulator.requests[0]?.outcome).toBe('pending');
    response.destroy();
    await until(() => emulator.requests[0]?.outcome === 'client-aborted');
  });

  it('for `ms`, then the rest of the stream', async () => {
    emulator.inject({ stall: { ms: 50 } });
    const response = await runtimeClientOn(emulator).send(new ConverseStreamCommand({ modelId: MODEL, messages: MESSAGES }));
    let events = 0;
    for await (const event of response.stream ?? []) if (event) events += 1;
    // messageStart, five deltas, contentBlockStop, messageStop, metadata.
    expect(events).toBe(9);
  });

  it('in a plain answer: the head and half the body, then the rest after `ms`', async () => {
    emulator.inject({ stall: { ms: 50 } });
    const answer = await runtimeClientOn(emulator).send(new ConverseCommand({ modelId: MODEL, messages: MESSAGES }));
    expect(answer.output?.message?.content?.[0]?.text).toBe('one two three four five');
  });
});

it('truncateFrame: half a frame, then a clean end', async () => {
  emulator.inject({ truncateFrame: { afterFrames: 2 } });
  const { body, ending } = await bodyOf(await call('converse-stream'));
  expect(ending).toBe('end');
  const decoder = new EventStreamDecoder();
  expect(decoder.push(body)).toHaveLength(2);
  expect(decoder.end()?.code).toBe('truncated');
  expect(emulator.requests[0]?.outcome).toBe('completed');
});

it('cutConnection.midBody: the head and half the body, then a reset', async () => {
  emulator.inject({ cutConnection: { midBody: true } });
  const response = await call('converse');
  expect(response.statusCode).toBe(200);
  const { body, ending } = await bodyOf(response);
  expect(ending).toBe('aborted');
  expect(body.length).toBe(Number(response.headers['content-length']) >> 1);
  expect(emulator.requests[0]?.outcome).toBe('connection-cut');
});

it('padToBytes: a plain answer of exactly that size, still valid JSON; the record keeps the JSON and counts it all', async () => {
  const size = 3 * 1024 * 1024 + 7;
  emulator.inject({ padToBytes: size });
  const response = await call('converse');
  const { body, ending } = await bodyOf(response);
  expect(ending).toBe('end');
  expect(body.length).toBe(size);
  expect(JSON.parse(body.toString())).toMatchObject({ output: { message: { role: 'assistant' } } });
  const [recorded] = emulator.requests;
  expect(recorded?.bytesWritten).toBe(size);
  expect(recorded?.responseBody?.toString()).toBe(body.toString().trimEnd());
});
