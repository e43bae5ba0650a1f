/**
 * Two gateway instances sharing one real redis-server: key limits, budgets and parallel leases hold across both,
 * a cooldown on one is seen by the other, spend adds up in one table, and Redis dying and coming back stops
 * nothing.
 */
import { FLUSH_EVERY_MS } from '../../lib/tracking/spend-table';
import { startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';
import type { Deployment, PassthroughOptions } from '../../lib/types';
import { CLAUDE_ID, MESSAGES } from '../support/bedrock-requests';
import { MASTER_KEY, deploymentOn, post, startGateway, type RunningGateway } from '../support/gateway';
import { RedisServer, describeWithRedis } from '../support/redis-server';

const CONVERSE = JSON.stringify({ messages: MESSAGES });
const keyHeaders = (key: string) => ({ 'x-api-key': key, 'content-type': 'application/json' });

describeWithRedis('two instances sharing Redis', () => {
  let redis: RedisServer;
  let east: BedrockEmulator;
  let west: BedrockEmulator;
  let a: RunningGateway;
  let b: RunningGateway;
  const preferEast = (candidates: readonly Deployment[]) => candidates.find((candidate) => candidate.id === 'east') ?? candidates[0];

  function options(): PassthroughOptions {
    return {
      model_list: [
        deploymentOn(east, 'claude', CLAUDE_ID, {}, { id: 'east' }),
        deploymentOn(west, 'claude', CLAUDE_ID, {}, { id: 'west' }),
      ],
      general_settings: { master_key: MASTER_KEY },
      router_settings: { redis_url: redis.url, cooldown_time: 60 },
      keys: [
        { key: 'sk-rpm-ten-0001', name: 'rpm-ten', rpm: 10 },
        { key: 'sk-budget-0002', name: 'budget', max_budget: 0.01, budget_duration: '1d' },
        { key: 'sk-tpm-0003', name: 'tpm', tpm: 100 },
        { key: 'sk-parallel-0004', name: 'parallel', max_parallel_requests: 2 },
      ],
      balancer: preferEast,
    };
  }

  beforeAll(async () => {
    redis = await RedisServer.start();
    [east, west] = await Promise.all([startBedrockEmulator({ region: 'us-east-1' }), startBedrockEmulator({ region: 'us-west-2' })]);
    [a, b] = await Promise.all([startGateway(options()), startGateway(options())]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await Promise.all([east?.close(), west?.close()]);
    await redis?.stop();
  });
  beforeEach(() => {
    east.reset();
    west.reset();
  });

  it('a key with rpm 10 gets exactly 10 requests admitted across both, under concurrent load', async () => {
    const calls = Array.from({ length: 30 }, (_, index) => post(index % 2 ? a : b, '/model/claude/converse', CONVERSE, keyHeaders('sk-rpm-ten-0001')));
    const responses = await Promise.all(calls);
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(20);
    const refused = responses.find((response) => response.status === 429);
    expect(refused?.headers.get('x-amzn-errortype')).toBe('ThrottlingException');
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(east.requests.length + west.requests.length).toBe(10);
  });

  it('a budget spent through one instance refuses on the other', async () => {
    // 5,000 input tokens of Claude 3.5 Sonnet at $3 per million: $0.015, over the $0.01 budget.
    east.inject({ usage: { inputTokens: 5000, outputTokens: 10 } });
    expect((await post(a, '/model/claude/converse', CONVERSE, keyHeaders('sk-budget-0002'))).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const refused = await post(b, '/model/claude/converse', CONVERSE, keyHeaders('sk-budget-0002'));
    expect(refused.status).toBe(403);
    expect(refused.headers.get('x-amzn-errortype')).toBe('AccessDeniedException');
    expect(((await refused.json()) as { message: string }).message).toMatch(/^Budget exceeded: key 'budget' has spent \$0\.01\d* of its \$0\.0100 budget; it resets at /);
  });

  it('tokens counted on one instance count against tpm on the other', async () => {
    east.inject({ usage: { inputTokens: 120, outputTokens: 30 } });
    expect((await post(a, '/model/claude/converse', CONVERSE, keyHeaders('sk-tpm-0003'))).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await post(b, '/model/claude/converse', CONVERSE, keyHeaders('sk-tpm-0003'))).status).toBe(429);
  });

  it('max_parallel_requests holds across instances, and leases come back when requests end', async () => {
    east.inject({ firstByteDelayMs: 300, times: 4 });
    const calls = [a, b, a, b].map((gateway) => post(gateway, '/model/claude/converse', CONVERSE, keyHeaders('sk-parallel-0004')));
    const statuses = (await Promise.all(calls)).map((response) => response.status).sort();
    expect(statuses).toEqual([200, 200, 429, 429]);
    expect((await post(b, '/model/claude/converse', CONVERSE, keyHeaders('sk-parallel-0004'))).status).toBe(200);
  });

  it('a cooldown on one instance is seen by the other', async () => {
    east.inject({ error: { type: 'ThrottlingException' } });
    const failedOver = await post(a, '/model/claude/converse', CONVERSE);
    expect(failedOver.headers.get('x-bedrock-passthrough-deployment')).toBe('west');
    // b reads the shared state once its view is a second old, without making a request wait for it: a request
    // after that second starts the read, and the requests after the read see the cooldown.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await post(b, '/model/claude/converse', CONVERSE);
    await new Promise((resolve) => setTimeout(resolve, 50));
    east.reset();
    const fromB = await post(b, '/model/claude/converse', CONVERSE);
    expect(fromB.headers.get('x-bedrock-passthrough-deployment')).toBe('west');
    expect(east.requests).toHaveLength(0);
  });

  it('both instances add to one spend table, each writing its counts within a second', async () => {
    await Promise.all([a.passthrough.spend.flush(), b.passthrough.spend.flush()]);
    const before = (await a.passthrough.spend.report()).total.requests;
    await post(a, '/model/claude/converse', CONVERSE);
    await post(b, '/model/claude/converse', CONVERSE);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // B's report has B's own request at once; A's reaches the store at A's next write.
    expect((await b.passthrough.spend.report()).total.requests).toBe(before + 1);
    await new Promise((resolve) => setTimeout(resolve, FLUSH_EVERY_MS + 100));
    expect((await b.passthrough.spend.report()).total.requests).toBe(before + 2);
  });

  it('Redis killed mid-test and restarted: no crash, requests keep flowing, counters resume', async () => {
    await redis.kill();
    const during = await Promise.all([post(a, '/model/claude/converse', CONVERSE), post(b, '/model/claude/converse', CONVERSE)]);
    expect(during.map((response) => response.status)).toEqual([200, 200]);
    await redis.restart();
    let recovered = false;
    for (let tries = 0; tries < 50 && !recovered; tries++) {
      await post(a, '/model/claude/converse', CONVERSE);
      await new Promise((resolve) => setTimeout(resolve, 100));
      recovered = (await b.passthrough.spend.report()).total.requests > 0;
    }
    expect(recovered).toBe(true);
  });
});
