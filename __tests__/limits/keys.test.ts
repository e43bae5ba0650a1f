/** Keys with limits and budgets on one instance (the in-memory store), hashed keys, and a host's key source. */
import { createHash } from 'node:crypto';
import { startBedrockEmulator, type BedrockEmulator } from '../../lib/testing';
import type { KeyConfig } from '../../lib/config/types';
import type { PassthroughOptions } from '../../lib/types';
import { CLAUDE_ID, MESSAGES } from '../support/bedrock-requests';
import { MASTER_KEY, deploymentOn, post, withGateway } from '../support/gateway';

const CONVERSE = JSON.stringify({ messages: MESSAGES });
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const as = (key: string) => ({ 'x-api-key': key, 'content-type': 'application/json' });

let emulator: BedrockEmulator;
beforeAll(async () => {
  emulator = await startBedrockEmulator();
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

function options(keys: KeyConfig[], extra: Partial<PassthroughOptions> = {}): PassthroughOptions {
  return { model_list: [deploymentOn(emulator, 'claude', CLAUDE_ID)], general_settings: { master_key: MASTER_KEY }, keys, ...extra };
}

async function statuses(gateway: Parameters<Parameters<typeof withGateway>[1]>[0], key: string, count: number): Promise<number[]> {
  const result: number[] = [];
  for (let index = 0; index < count; index++) result.push((await post(gateway, '/model/claude/converse', CONVERSE, as(key))).status);
  return result;
}

describe('key limits', () => {
  it('rpm: the request over it gets 429 with retry-after until the minute ends', async () => {
    let now = Date.parse('2026-11-21T12:00:30Z');
    await withGateway(options([{ key: 'sk-rpm-two-1234', name: 'two', rpm: 2 }], { clock: () => now }), async (gateway) => {
      expect(await statuses(gateway, 'sk-rpm-two-1234', 3)).toEqual([200, 200, 429]);
      const refused = await post(gateway, '/model/claude/converse', CONVERSE, as('sk-rpm-two-1234'));
      expect(refused.headers.get('retry-after')).toBe('30');
      expect(((await refused.json()) as { message: string }).message).toBe("Key 'two' made its 2 requests this minute; try again shortly.");
      now += 30_000;
      expect(await statuses(gateway, 'sk-rpm-two-1234', 1)).toEqual([200]);
      expect(emulator.requests).toHaveLength(3);
    });
  });

  it('tpm: counted from the answers, refused once reached', async () => {
    await withGateway(options([{ key: 'sk-tpm-key-1234', name: 'tpm', tpm: 100 }]), async (gateway) => {
      emulator.inject({ usage: { inputTokens: 80, outputTokens: 30 } });
      expect(await statuses(gateway, 'sk-tpm-key-1234', 1)).toEqual([200]);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await statuses(gateway, 'sk-tpm-key-1234', 1)).toEqual([429]);
    });
  });

  it('a budget: the call that runs over is not cut off; the next is refused (403) until the period ends', async () => {
    let now = Date.parse('2026-11-21T23:59:00Z');
    await withGateway(options([{ key: 'sk-budget-key-12', name: 'budget', max_budget: 0.01, budget_duration: '1d' }], { clock: () => now }), async (gateway) => {
      emulator.inject({ usage: { inputTokens: 5000, outputTokens: 0 } });
      expect(await statuses(gateway, 'sk-budget-key-12', 1)).toEqual([200]);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const refused = await post(gateway, '/model/claude/converse', CONVERSE, as('sk-budget-key-12'));
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { message: string }).message).toBe(
        "Budget exceeded: key 'budget' has spent $0.0150 of its $0.0100 budget; it resets at 2026-11-22T00:00:00.000Z.",
      );
      now += 60_000;
      expect(await statuses(gateway, 'sk-budget-key-12', 1)).toEqual([200]);
    });
  });

  it('max_parallel_requests: over it 429, and the slot comes back when a request ends', async () => {
    await withGateway(options([{ key: 'sk-parallel-1234', name: 'parallel', max_parallel_requests: 1 }]), async (gateway) => {
      emulator.inject({ firstByteDelayMs: 200 });
      const slow = post(gateway, '/model/claude/converse', CONVERSE, as('sk-parallel-1234'));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await statuses(gateway, 'sk-parallel-1234', 1)).toEqual([429]);
      expect((await slow).status).toBe(200);
      expect(await statuses(gateway, 'sk-parallel-1234', 1)).toEqual([200]);
    });
  });

  it('an expired or disabled key gets 403, before any upstream call', async () => {
    const keys = [
      { key: 'sk-expired-1234', name: 'expired', expires: '2020-01-01T00:00:00Z' },
      { key: 'sk-disabled-1234', name: 'off', disabled: true },
    ];
    await withGateway(options(keys), async (gateway) => {
      const expired = await post(gateway, '/model/claude/converse', CONVERSE, as('sk-expired-1234'));
      expect(expired.status).toBe(403);
      expect(((await expired.json()) as { message: string }).message).toBe("Key 'expired' expired at 2020-01-01T00:00:00.000Z.");
      const disabled = await post(gateway, '/model/claude/converse', CONVERSE, as('sk-disabled-1234'));
      expect(((await disabled.json()) as { message: string }).message).toBe("Key 'off' is disabled.");
      expect(emulator.requests).toHaveLength(0);
    });
  });
});

describe('where keys come from', () => {
  it('a key given by its SHA-256 in the config', async () => {
    await withGateway(options([{ key_sha256: sha256('sk-hashed-secret-1'), name: 'hashed' }]), async (gateway) => {
      expect(await statuses(gateway, 'sk-hashed-secret-1', 1)).toEqual([200]);
      expect(await statuses(gateway, 'sk-hashed-secret-2', 1)).toEqual([403]);
    });
  });

  it('a host key source, asked by hash, its answers kept for 30 seconds', async () => {
    let now = Date.parse('2026-11-21T12:00:00Z');
    const database: Record<string, KeyConfig> = { [sha256('sk-from-database-1')]: { name: 'db-team', rpm: 100, models: ['claude'] } };
    const keySource = jest.fn(async (hash: string) => database[hash]);
    await withGateway({ model_list: [deploymentOn(emulator, 'claude', CLAUDE_ID)], keySource, clock: () => now }, async (gateway) => {
      expect(await statuses(gateway, 'sk-from-database-1', 3)).toEqual([200, 200, 200]);
      expect(keySource).toHaveBeenCalledTimes(1);
      expect(keySource).toHaveBeenCalledWith(sha256('sk-from-database-1'));
      expect(await statuses(gateway, 'sk-unknown-key-9', 1)).toEqual([403]);
      now += 31_000;
      await statuses(gateway, 'sk-from-database-1', 1);
      expect(keySource).toHaveBeenCalledTimes(3);
    });
  });
});
