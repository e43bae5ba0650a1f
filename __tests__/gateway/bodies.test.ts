/** The body the client sent reaches Bedrock, whatever body parser the host installed; a client that leaves is let go. */
import express from 'express';
import type { IncomingMessage } from 'node:http';
import { startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';
import type { UsageRecord } from '../../lib/types';
import { MASTER_KEY, deploymentOn, post, startGateway, withGateway, type RunningGateway } from '../support/gateway';

/** Oddly spaced, with a number JSON.parse would round: only the exact bytes keep both. */
const EXACT_BODY = '{ "messages" : [ { "role":"user", "content":[{"text":"Hi"}] } ],\n  "seed": 12345678901234567890 }';

let emulator: BedrockEmulator;
beforeAll(async () => {
  emulator = await startBedrockEmulator();
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

const modelList = () => [deploymentOn(emulator, 'claude', 'anthropic.claude-3-5-sonnet-20240620-v1:0')];

function withHostApp(before: ((app: express.Express) => void) | undefined, run: (gateway: RunningGateway) => Promise<void>) {
  return withGateway({ model_list: modelList(), general_settings: { master_key: MASTER_KEY } }, run, { before });
}

describe('body parsers in the host app', () => {
  it('without one, forwards the exact bytes', async () => {
    await withHostApp(undefined, async (gateway) => {
      expect((await post(gateway, '/model/claude/converse', EXACT_BODY)).status).toBe(200);
      expect(emulator.requests[0]?.body.toString()).toBe(EXACT_BODY);
    });
  });

  it('after express.raw(), forwards the exact bytes', async () => {
    await withHostApp((app) => app.use(express.raw({ type: '*/*' })), async (gateway) => {
      expect((await post(gateway, '/model/claude/converse', EXACT_BODY)).status).toBe(200);
      expect(emulator.requests[0]?.body.toString()).toBe(EXACT_BODY);
    });
  });

  it('after express.json() keeping req.rawBody, forwards the exact bytes', async () => {
    const keepRaw = (req: IncomingMessage, _res: unknown, buffer: Buffer) => {
      (req as IncomingMessage & { rawBody?: Buffer }).rawBody = buffer;
    };
    await withHostApp((app) => app.use(express.json({ verify: keepRaw })), async (gateway) => {
      expect((await post(gateway, '/model/claude/converse', EXACT_BODY)).status).toBe(200);
      expect(emulator.requests[0]?.body.toString()).toBe(EXACT_BODY);
    });
  });

  it('after express.json(), forwards a faithful re-serialisation, correctly signed', async () => {
    await withHostApp((app) => app.use(express.json()), async (gateway) => {
      expect((await post(gateway, '/model/claude/converse', EXACT_BODY)).status).toBe(200);
      const [upstream] = emulator.requests;
      expect(JSON.parse(upstream?.body.toString() ?? '')).toEqual(JSON.parse(EXACT_BODY));
      expect(upstream?.auth).toMatchObject({ accepted: true });
      expect(upstream?.headers['content-length']).toBe(String(upstream?.body.length));
    });
  });

  it('after express.text(), forwards the text', async () => {
    await withHostApp((app) => app.use(express.text({ type: '*/*' })), async (gateway) => {
      expect((await post(gateway, '/model/claude/converse', EXACT_BODY)).status).toBe(200);
      expect(emulator.requests[0]?.body.toString()).toBe(EXACT_BODY);
    });
  });
});

describe('a client that goes away', () => {
  let gateway: RunningGateway;
  const records: UsageRecord[] = [];
  beforeAll(async () => {
    gateway = await startGateway({
      model_list: modelList(),
      general_settings: { master_key: MASTER_KEY },
      costTracker: { record: (usage) => void records.push(usage) },
    });
  });
  afterAll(() => gateway.close());
  beforeEach(() => {
    records.length = 0;
  });

  async function until(condition: () => boolean): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('timed out waiting');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  it('mid-stream: the upstream call is aborted at once', async () => {
    emulator.inject({ chunkDelayMs: 50, replyText: Array.from({ length: 100 }, (_, index) => `word${index}`).join(' ') });
    const abort = new AbortController();
    const response = await fetch(`${gateway.url}/model/claude/converse-stream`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: '{"messages":[]}',
      signal: abort.signal,
    });
    const reader = response.body?.getReader();
    await reader?.read();
    abort.abort();
    await until(() => emulator.requests[0]?.outcome !== 'pending');
    expect(emulator.requests[0]?.outcome).toBe('client-aborted');
    await until(() => records.length === 1);
    expect(records[0]).toMatchObject({ outcome: 'client-aborted', operation: 'converse-stream', streamed: true });
  });

  it('while Bedrock is still thinking: the upstream call is aborted at once', async () => {
    emulator.inject({ firstByteDelayMs: 5000 });
    const abort = new AbortController();
    const call = fetch(`${gateway.url}/model/claude/converse`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: '{"messages":[]}',
      signal: abort.signal,
    });
    await until(() => emulator.requests[0]?.auth !== undefined);
    const abortedAt = Date.now();
    abort.abort();
    await expect(call).rejects.toThrow();
    await until(() => emulator.requests[0]?.outcome === 'client-aborted');
    expect(Date.now() - abortedAt).toBeLessThan(1000);
    await until(() => records.length === 1);
    expect(records[0]?.outcome).toBe('client-aborted');
  });
});
