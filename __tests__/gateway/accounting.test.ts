/**
 * Every call accounted for: tokens (cache included) and cost for plain and streamed answers, through the real AWS SDK
 * too; price overrides; unknown prices; abandoned and broken streams; the cost and overhead headers; the spend table.
 */
import {
  ConverseStreamCommand,
  InvokeModelWithResponseStreamCommand,
  type ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime';
import { startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';
import type { Logger, PassthroughOptions, UsageRecord } from '../../lib/types';
import { ANTHROPIC_BODY, CLAUDE_ID, MESSAGES } from '../support/bedrock-requests';
import { MASTER_KEY, deploymentOn, post, sdkClient, withGateway } from '../support/gateway';

const CONVERSE = JSON.stringify({ messages: MESSAGES });
const CACHED_USAGE = { inputTokens: 1000, outputTokens: 200, cacheReadInputTokens: 300, cacheWriteInputTokens: 50 };
/** Claude 3.5 Sonnet on Bedrock, per token (genai-prices 0.1.8): input $3, output $15, cache read $0.30, cache write $3.75 per million. */
const CACHED_COST = 1000 * 3e-6 + 200 * 15e-6 + 300 * 0.3e-6 + 50 * 3.75e-6;
const TOKENS = { inputTokens: 1000, outputTokens: 200, cacheReadTokens: 300, cacheWriteTokens: 50 };

let emulator: BedrockEmulator;
beforeAll(async () => {
  emulator = await startBedrockEmulator();
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

function recorded(extra: Partial<PassthroughOptions> = {}) {
  const records: UsageRecord[] = [];
  const options: PassthroughOptions = {
    model_list: [
      deploymentOn(emulator, 'claude', CLAUDE_ID, {}, { id: 'claude-east' }),
      deploymentOn(emulator, 'house-model', 'acme.house-model-v1:0', {}, { id: 'house' }),
      deploymentOn(emulator, 'discounted', CLAUDE_ID, {}, { id: 'discounted', input_cost_per_token: 1e-6 }),
    ],
    general_settings: { master_key: MASTER_KEY },
    keys: [{ key: 'sk-team-accounting-1', name: 'team-a' }],
    costTracker: { record: (usage) => void records.push(usage) },
    ...extra,
  };
  return { options, records };
}

async function next(records: UsageRecord[], count = 1): Promise<UsageRecord[]> {
  for (let waited = 0; records.length < count && waited < 2000; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
  return records;
}

describe('usage and cost of each operation', () => {
  it.each([
    ['converse', CONVERSE],
    ['invoke', ANTHROPIC_BODY],
    ['converse-stream', CONVERSE],
    ['invoke-with-response-stream', ANTHROPIC_BODY],
  ])('%s, with prompt-cache tokens', async (operation, body) => {
    const { options, records } = recorded();
    await withGateway(options, async (gateway) => {
      emulator.inject({ usage: CACHED_USAGE });
      const response = await post(gateway, `/model/claude/${operation}`, body);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
      const streamed = operation.endsWith('stream');
      // The cost goes back in a header on plain answers only: a stream's head leaves before its usage is known.
      expect(response.headers.get('x-bedrock-passthrough-cost-usd')).toBe(streamed ? null : String(CACHED_COST));
      expect(Number(response.headers.get('x-bedrock-passthrough-overhead-ms'))).toBeGreaterThanOrEqual(0);
      const [record] = await next(records);
      expect(record).toMatchObject({ usage: expect.objectContaining(TOKENS), usageComplete: true, streamed, deploymentId: 'claude-east' });
      expect(record?.costUsd).toBeCloseTo(CACHED_COST, 12);
      expect(record?.overheadMs).toBeGreaterThanOrEqual(0);
      expect(record?.overheadMs).toBeLessThan(record?.latencyMs ?? 0);
    });
  });

  it('through the real AWS SDK: ConverseStream and InvokeModelWithResponseStream', async () => {
    const { options, records } = recorded();
    await withGateway(options, async (gateway) => {
      const client = sdkClient(gateway, 'sk-team-accounting-1');
      emulator.inject({ usage: CACHED_USAGE, times: 2 });
      const conversed = await client.send(new ConverseStreamCommand({ modelId: 'claude', messages: MESSAGES }));
      const events: ConverseStreamOutput[] = [];
      for await (const event of conversed.stream ?? []) events.push(event);
      expect(events.at(-1)?.metadata?.usage).toMatchObject({ inputTokens: 1000, outputTokens: 200, cacheReadInputTokens: 300 });
      const invoked = await client.send(new InvokeModelWithResponseStreamCommand({ modelId: 'claude', body: ANTHROPIC_BODY }));
      for await (const part of invoked.body ?? []) expect(part.chunk).toBeDefined();
      await next(records, 2);
      for (const record of records) {
        expect(record).toMatchObject({ keyName: 'team-a', usage: expect.objectContaining(TOKENS), usageComplete: true });
        expect(record.costUsd).toBeCloseTo(CACHED_COST, 12);
      }
      expect(records.map((record) => record.operation)).toEqual(['converse-stream', 'invoke-with-response-stream']);
    });
  });
});

describe('prices', () => {
  it('a model_info price overrides the price list, field by field', async () => {
    const { options, records } = recorded();
    await withGateway(options, async (gateway) => {
      emulator.inject({ usage: CACHED_USAGE });
      const response = await post(gateway, '/model/discounted/converse', CONVERSE);
      const expected = 1000 * 1e-6 + 200 * 15e-6 + 300 * 0.3e-6 + 50 * 3.75e-6;
      expect(Number(response.headers.get('x-bedrock-passthrough-cost-usd'))).toBeCloseTo(expected, 12);
      expect((await next(records))[0]?.costUsd).toBeCloseTo(expected, 12);
    });
  });

  it('a model without a known price costs null, never 0, and is warned about once', async () => {
    const warnings: string[] = [];
    const logger: Logger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (_fields, message) => void warnings.push(message ?? '') };
    const { options, records } = recorded({ logger });
    await withGateway(options, async (gateway) => {
      for (let index = 0; index < 3; index++) {
        const response = await post(gateway, '/model/house-model/converse', CONVERSE);
        expect(response.headers.get('x-bedrock-passthrough-cost-usd')).toBeNull();
      }
      await next(records, 3);
      expect(records.map((record) => record.costUsd)).toEqual([null, null, null]);
      expect(records[0]?.usage?.outputTokens).toBeGreaterThan(0);
      expect(warnings.filter((warning) => /no price known/.test(warning))).toHaveLength(1);
    });
  });
});

describe('streams that do not end well still get a record', () => {
  it('a stream the client abandons: what its frames reported, marked incomplete', async () => {
    const { options, records } = recorded();
    await withGateway(options, async (gateway) => {
      emulator.inject({ usage: CACHED_USAGE, chunkDelayMs: 50, replyText: Array.from({ length: 40 }, (_, index) => `w${index}`).join(' ') });
      const abort = new AbortController();
      const response = await fetch(`${gateway.url}/model/claude/invoke-with-response-stream`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
        body: ANTHROPIC_BODY,
        signal: abort.signal,
      });
      const reader = response.body?.getReader();
      await reader?.read();
      abort.abort();
      const [record] = await next(records);
      expect(record).toMatchObject({ outcome: 'client-aborted', usageComplete: false });
      // Anthropic reports its input and cache counts in the stream's first event.
      expect(record?.usage).toMatchObject({ inputTokens: 1000, cacheReadTokens: 300, cacheWriteTokens: 50 });
    });
  });

  it('a stream that breaks midway: the failure and the usage seen', async () => {
    const { options, records } = recorded();
    await withGateway(options, async (gateway) => {
      emulator.inject({ usage: CACHED_USAGE, cutConnection: { afterFrames: 3, midFrame: true } });
      await (await post(gateway, '/model/claude/invoke-with-response-stream', ANTHROPIC_BODY)).arrayBuffer();
      const [record] = await next(records);
      expect(record).toMatchObject({ outcome: 'upstream-failed', errorType: 'StreamFailed', usageComplete: false });
      expect(record?.attempts).toEqual([expect.objectContaining({ deploymentId: 'claude-east', outcome: 'served', errorType: 'StreamFailed' })]);
      expect(record?.usage?.inputTokens).toBe(1000);
    });
  });
});

describe('the spend table', () => {
  it('totals spend and tokens by key, model group and day', async () => {
    const { options } = recorded();
    await withGateway(options, async (gateway) => {
      emulator.inject({ usage: CACHED_USAGE, times: 3 });
      await post(gateway, '/model/claude/converse', CONVERSE);
      await post(gateway, '/model/claude/converse', CONVERSE, { 'x-api-key': 'sk-team-accounting-1', 'content-type': 'application/json' });
      await post(gateway, '/model/house-model/converse', CONVERSE, { 'x-api-key': 'sk-team-accounting-1', 'content-type': 'application/json' });
      await new Promise((resolve) => setTimeout(resolve, 20));
      const spend = await gateway.passthrough.spend.report();
      const today = new Date().toISOString().slice(0, 10);
      expect(spend.byKey['master']).toMatchObject({ requests: 1, inputTokens: 1000, unpricedRequests: 0 });
      expect(spend.byKey['master']?.costUsd).toBeCloseTo(CACHED_COST, 12);
      expect(spend.byKey['team-a']).toMatchObject({ requests: 2, unpricedRequests: 1 });
      expect(spend.byModel['house-model']).toMatchObject({ requests: 1, costUsd: 0, unpricedRequests: 1 });
      expect(spend.byDay[today]?.requests).toBe(3);
      expect(spend.rows).toHaveLength(3);
    });
  });
});
