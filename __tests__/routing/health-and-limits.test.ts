/** Cooldowns (on a clock the test moves), per-deployment rpm/tpm limits, and the built-in strategies end to end. */
import type { Deployment, PassthroughOptions } from '../../lib/types';
import { CLAUDE_ID, MESSAGES } from '../support/bedrock-requests';
import { useThreeRegions } from '../support/regions';
import { MASTER_KEY, deploymentOn, post, withGateway, type RunningGateway } from '../support/gateway';

const CONVERSE = JSON.stringify({ messages: MESSAGES });

const regions = useThreeRegions();


const preferEast = (candidates: readonly Deployment[]) => candidates.find((candidate) => candidate.id === 'east') ?? candidates[0];

function twoRegions(extra: Partial<PassthroughOptions> = {}, eastParams = {}, westParams = {}): PassthroughOptions {
  return {
    model_list: [
      deploymentOn(regions.east, 'claude', CLAUDE_ID, eastParams, { id: 'east' }),
      deploymentOn(regions.west, 'claude', CLAUDE_ID, westParams, { id: 'west' }),
    ],
    general_settings: { master_key: MASTER_KEY },
    ...extra,
  };
}

async function servedBy(gateway: RunningGateway): Promise<string | null> {
  const response = await post(gateway, '/model/claude/converse', CONVERSE);
  await response.arrayBuffer();
  return response.status === 200 ? response.headers.get('x-bedrock-passthrough-deployment') : `HTTP ${response.status}`;
}

describe('cooldowns', () => {
  it('take a deployment out after allowed_fails failures in a minute, and bring it back after cooldown_time', async () => {
    let now = Date.parse('2026-11-21T12:00:00Z');
    const options = twoRegions({
      router_settings: { allowed_fails: 2, cooldown_time: 30, num_retries: 0 },
      balancer: preferEast,
      clock: () => now,
    });
    await withGateway(options, async (gateway) => {
      regions.east.inject({ error: { type: 'InternalServerException' }, times: 2 });
      expect(await servedBy(gateway)).toBe('HTTP 500');
      expect(await servedBy(gateway)).toBe('HTTP 500');
      // Cooling down: the balancer prefers east, but is not offered it.
      expect(await servedBy(gateway)).toBe('west');
      now += 29_000;
      expect(await servedBy(gateway)).toBe('west');
      now += 2_000;
      expect(await servedBy(gateway)).toBe('east');
      expect(regions.east.requests).toHaveLength(3);
    });
  });

  it('take a throttled deployment out at once', async () => {
    let now = Date.parse('2026-11-21T12:00:00Z');
    const options = twoRegions({ router_settings: { cooldown_time: 10 }, balancer: preferEast, clock: () => now });
    await withGateway(options, async (gateway) => {
      regions.east.inject({ error: { type: 'ThrottlingException' } });
      expect(await servedBy(gateway)).toBe('west');
      expect(await servedBy(gateway)).toBe('west');
      now += 11_000;
      expect(await servedBy(gateway)).toBe('east');
    });
  });

  it('when every deployment is cooling down, try the one that failed longest ago rather than none', async () => {
    let now = Date.parse('2026-11-21T12:00:00Z');
    const options = twoRegions({ router_settings: { cooldown_time: 60, num_retries: 0 }, balancer: preferEast, clock: () => now });
    await withGateway(options, async (gateway) => {
      regions.east.inject({ error: { type: 'ThrottlingException' } });
      expect(await servedBy(gateway)).toBe('HTTP 429');
      now += 1000;
      regions.west.inject({ error: { type: 'ThrottlingException' } });
      expect(await servedBy(gateway)).toBe('HTTP 429');
      now += 1000;
      // Both cooling; east failed first.
      expect(await servedBy(gateway)).toBe('east');
    });
  });
});

describe('per-deployment limits', () => {
  it('skip a deployment at its rpm, and refuse with 429 without any upstream call when all are at theirs', async () => {
    let now = Date.parse('2026-11-21T12:00:10Z');
    const options = twoRegions({ balancer: preferEast, clock: () => now }, { rpm: 2 }, { rpm: 1 });
    await withGateway(options, async (gateway) => {
      expect([await servedBy(gateway), await servedBy(gateway), await servedBy(gateway)]).toEqual(['east', 'east', 'west']);
      const refused = await post(gateway, '/model/claude/converse', CONVERSE);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('x-amzn-errortype')).toBe('ThrottlingException');
      expect(refused.headers.get('retry-after')).toBe('50');
      expect(((await refused.json()) as { message: string }).message).toMatch(/at its rpm\/tpm limit/);
      expect(regions.east.requests.length + regions.west.requests.length).toBe(3);
      now += 60_000;
      expect(await servedBy(gateway)).toBe('east');
    });
  });

  it('skip a deployment once the tokens it served this minute reach its tpm', async () => {
    const options = twoRegions({ balancer: preferEast }, { tpm: 100 });
    await withGateway(options, async (gateway) => {
      regions.east.inject({ usage: { inputTokens: 60, outputTokens: 50 } });
      expect(await servedBy(gateway)).toBe('east');
      expect(await servedBy(gateway)).toBe('west');
    });
  });

  it('count stream tokens too', async () => {
    const options = twoRegions({ balancer: preferEast }, { tpm: 100 });
    await withGateway(options, async (gateway) => {
      regions.east.inject({ usage: { inputTokens: 90, outputTokens: 20 } });
      const stream = await post(gateway, '/model/claude/converse-stream', CONVERSE);
      await stream.arrayBuffer();
      expect(stream.headers.get('x-bedrock-passthrough-deployment')).toBe('east');
      expect(await servedBy(gateway)).toBe('west');
    });
  });
});

describe('routing strategies through the gateway', () => {
  function threeRegions(strategy: NonNullable<NonNullable<PassthroughOptions['router_settings']>['routing_strategy']>): PassthroughOptions {
    return {
      model_list: [
        deploymentOn(regions.east, 'claude', CLAUDE_ID, {}, { id: 'east' }),
        deploymentOn(regions.west, 'claude', CLAUDE_ID, {}, { id: 'west' }),
        deploymentOn(regions.eu, 'claude', CLAUDE_ID, {}, { id: 'eu' }),
      ],
      general_settings: { master_key: MASTER_KEY },
      router_settings: { routing_strategy: strategy },
    };
  }

  it('round-robin takes turns', async () => {
    await withGateway(threeRegions('round-robin'), async (gateway) => {
      const served = [];
      for (let index = 0; index < 6; index++) served.push(await servedBy(gateway));
      expect(served).toEqual(['east', 'west', 'eu', 'east', 'west', 'eu']);
    });
  });

  it('least-busy spreads concurrent slow calls', async () => {
    await withGateway(threeRegions('least-busy'), async (gateway) => {
      for (const emulator of [regions.east, regions.west, regions.eu]) emulator.inject({ firstByteDelayMs: 150, times: 3 });
      const served = await Promise.all([servedBy(gateway), servedBy(gateway), servedBy(gateway)]);
      expect(served.sort()).toEqual(['east', 'eu', 'west']);
    });
  });

  it('latency-based-routing sends most traffic to the fastest deployment, and still measures the others', async () => {
    await withGateway(threeRegions('latency-based-routing'), async (gateway) => {
      regions.east.inject({ firstByteDelayMs: 60, times: Infinity });
      regions.west.inject({ firstByteDelayMs: 60, times: Infinity });
      const counts: Record<string, number> = {};
      for (let index = 0; index < 60; index++) {
        const id = (await servedBy(gateway)) ?? 'none';
        counts[id] = (counts[id] ?? 0) + 1;
      }
      expect(counts['eu']).toBeGreaterThanOrEqual(45);
      expect((counts['east'] ?? 0) + (counts['west'] ?? 0)).toBeGreaterThanOrEqual(2);
    });
  });
});
