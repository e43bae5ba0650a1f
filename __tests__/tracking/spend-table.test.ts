import { MemoryStore } from '../../lib/state/memory-store';
import type { Store } from '../../lib/state/store';
import { createSpendTable, FLUSH_EVERY_MS } from '../../lib/tracking/spend-table';
import type { UsageRecord } from '../../lib/types';

function record(overrides: Partial<UsageRecord> = {}): UsageRecord {
  return {
    requestId: 'r',
    time: new Date('2026-11-21T10:00:00Z'),
    keyName: 'team-a',
    operation: 'converse',
    modelName: 'claude',
    streamed: false,
    status: 200,
    outcome: 'completed',
    latencyMs: 1,
    overheadMs: 0.1,
    usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 2, cacheWriteTokens: 1 },
    usageComplete: true,
    costUsd: 0.001,
    attempts: [],
    ...overrides,
  };
}

describe('the spend table', () => {
  afterEach(() => jest.useRealTimers());

  it('counts in memory and writes each cell once per flush, not once per request', async () => {
    const store = new MemoryStore();
    const increments = jest.spyOn(store, 'increment');
    const table = createSpendTable(store);
    for (let i = 0; i < 100; i++) table.record(record());
    table.record(record({ keyName: 'team-b', status: 429, usage: undefined, costUsd: null }));
    expect(increments).not.toHaveBeenCalled();
    await table.flush();
    // team-a: requests, four token fields, cost; team-b: requests and errors.
    expect(increments).toHaveBeenCalledTimes(8);
    const report = await table.report();
    expect(report.byKey['team-a']).toEqual({ requests: 100, errors: 0, inputTokens: 1000, outputTokens: 500, cacheReadTokens: 200, cacheWriteTokens: 100, costUsd: expect.closeTo(0.1, 12), unpricedRequests: 0 });
    expect(report.byKey['team-b']).toMatchObject({ requests: 1, errors: 1 });
  });

  it('writes by itself within a second, and a report always holds this instance’s latest requests', async () => {
    jest.useFakeTimers();
    const store = new MemoryStore();
    const table = createSpendTable(store);
    table.record(record());
    expect(await store.entries('spend/')).toEqual([]);
    await jest.advanceTimersByTimeAsync(FLUSH_EVERY_MS);
    expect((await store.entries('spend/')).length).toBeGreaterThan(0);
    table.record(record());
    expect((await table.report()).total.requests).toBe(2);
  });

  it('logs a failed write and goes on', async () => {
    const failing = { increment: () => Promise.reject(new Error('store down')) } as unknown as Store;
    const warnings: unknown[] = [];
    const table = createSpendTable(failing, { debug() {}, info() {}, warn: (fields) => void warnings.push(fields), error() {} });
    table.record(record());
    await table.flush();
    expect(warnings).toEqual([{ rows: 1, error: 'Error: store down' }]);
  });
});
