/** The memory store: the Store contract on a fake clock, and memory that stays bounded. */
import { MemoryStore } from '../../lib/state/memory-store';
import { describeStoreContract } from './store-contract';

describeStoreContract('MemoryStore', async () => {
  let now = 1_700_000_000_000;
  return {
    store: new MemoryStore(() => now),
    elapse: async (ms) => {
      now += ms;
    },
  };
});

describe('MemoryStore memory', () => {
  it('sweeps expired counters and leases out, so memory stays bounded', async () => {
    let now = 0;
    const store = new MemoryStore(() => now);
    for (let window = 0; window < 20; window++) {
      for (let key = 0; key < 500; key++) {
        await store.increment(`rpm:${window}:${key}`, 1, 1000);
        await store.acquireLease(`parallel:${window}:${key}`, 'lease', 1, 1000);
      }
      now += 1000;
    }
    // 20 windows × 500 keys were written; only about the writes since the last sweep (every 1024) remain.
    expect(store['counters'].size).toBeLessThanOrEqual(1024);
    expect(store['leaseHolders'].size).toBeLessThanOrEqual(1024);
  });

  it('is always healthy, and closing does nothing', async () => {
    const store = new MemoryStore();
    await store.close();
    expect(store.health()).toBe('ok');
    expect(await store.increment('k', 1, 1000)).toBe(1);
  });
});
