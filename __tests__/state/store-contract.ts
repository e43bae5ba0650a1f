/**
 * The {@link Store} contract, written once and run against every store: the memory store on a fake clock, the Redis
 * store against a real redis-server with short windows and real waits.
 */
import type { Store } from '../../lib/state/store';

/** A fresh, empty store and a way to let time pass for it. */
export interface StoreUnderTest {
  readonly store: Store;
  /** Lets `ms` milliseconds pass for the store: moves its clock, or waits. */
  elapse(ms: number): Promise<void>;
}

/** Windows and lease lifetimes in the tests: short, for real waits, yet far above a round trip to a local Redis. */
const TTL_MS = 300;

/** Runs the contract; `open` gives a fresh store for each test, closed after it. */
export function describeStoreContract(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`${name} keeps the Store contract`, () => {
    let store: Store;
    let elapse: (ms: number) => Promise<void>;

    beforeEach(async () => {
      ({ store, elapse } = await open());
    });
    afterEach(async () => {
      await store.close();
    });

    describe('counters with fixed windows', () => {
      it('increment creates at the amount, adds, and get reads it', async () => {
        expect(await store.get('requests')).toBeUndefined();
        expect(await store.increment('requests', 2, TTL_MS)).toBe(2);
        expect(await store.increment('requests', 3, TTL_MS)).toBe(5);
        expect(await store.get('requests')).toBe(5);
      });

      it('a window runs from the first count: counting again does not extend it', async () => {
        await store.increment('requests', 1, TTL_MS);
        await elapse(TTL_MS * 0.6);
        expect(await store.increment('requests', 1, TTL_MS)).toBe(2);
        await elapse(TTL_MS * 0.6);
        expect(await store.get('requests')).toBeUndefined();
        expect(await store.increment('requests', 1, TTL_MS)).toBe(1);
      });

      it('counts spend in USD as floating point', async () => {
        await store.increment('spend', 0.1, TTL_MS);
        expect(await store.increment('spend', 0.2, TTL_MS)).toBeCloseTo(0.3, 12);
        expect(await store.increment('spend', 0.000_001_5, TTL_MS)).toBeCloseTo(0.300_001_5, 12);
        expect(await store.increment('spend', -0.300_001_5, TTL_MS)).toBeCloseTo(0, 12);
      });
    });

    describe('incrementWithin', () => {
      it('admits up to the limit exactly, then refuses without counting', async () => {
        for (let count = 1; count <= 3; count++) {
          const admission = await store.incrementWithin('rpm', 1, 3, TTL_MS);
          expect(admission).toMatchObject({ admitted: true, value: count });
          expect(admission.resetsInMs).toBeGreaterThan(0);
          expect(admission.resetsInMs).toBeLessThanOrEqual(TTL_MS);
        }
        const refused = await store.incrementWithin('rpm', 1, 3, TTL_MS);
        expect(refused).toMatchObject({ admitted: false, value: 3 });
        expect(refused.resetsInMs).toBeGreaterThan(0);
        expect(refused.resetsInMs).toBeLessThanOrEqual(TTL_MS);
        expect(await store.get('rpm')).toBe(3);
      });

      it('admits an amount that fits though a larger one did not', async () => {
        await store.incrementWithin('tpm', 70, 100, TTL_MS);
        expect(await store.incrementWithin('tpm', 40, 100, TTL_MS)).toMatchObject({ admitted: false, value: 70 });
        expect(await store.incrementWithin('tpm', 30, 100, TTL_MS)).toMatchObject({ admitted: true, value: 100 });
      });

      it('a refusal on a counter that does not exist creates none', async () => {
        expect(await store.incrementWithin('tpm', 5, 4, TTL_MS)).toEqual({ admitted: false, value: 0, resetsInMs: undefined });
        expect(await store.get('tpm')).toBeUndefined();
      });

      it('counts afresh once the window is over', async () => {
        await store.incrementWithin('rpm', 2, 2, TTL_MS);
        expect((await store.incrementWithin('rpm', 1, 2, TTL_MS)).admitted).toBe(false);
        await elapse(TTL_MS * 1.2);
        expect(await store.incrementWithin('rpm', 1, 2, TTL_MS)).toMatchObject({ admitted: true, value: 1 });
      });

      it('reaches a floating-point budget exactly despite rounding (0.1 + 0.2 within 0.3)', async () => {
        expect((await store.incrementWithin('spend', 0.1, 0.3, TTL_MS)).admitted).toBe(true);
        const atTheLimit = await store.incrementWithin('spend', 0.2, 0.3, TTL_MS);
        expect(atTheLimit.admitted).toBe(true);
        expect(atTheLimit.value).toBeCloseTo(0.3, 12);
        const over = await store.incrementWithin('spend', 0.000_01, 0.3, TTL_MS);
        expect(over.admitted).toBe(false);
        expect(over.value).toBeCloseTo(0.3, 12);
      });

      it('an infinite limit admits everything', async () => {
        expect(await store.incrementWithin('unlimited', 1e12, Infinity, TTL_MS)).toMatchObject({ admitted: true, value: 1e12 });
      });

      it('shares its counter with increment', async () => {
        await store.increment('tpm', 90, TTL_MS);
        expect(await store.incrementWithin('tpm', 20, 100, TTL_MS)).toMatchObject({ admitted: false, value: 90 });
      });
    });

    describe('getMany, set and entries', () => {
      it('getMany reads in the order asked, undefined where there is nothing', async () => {
        await store.increment('a', 1, TTL_MS);
        await store.increment('c', 3.5, TTL_MS);
        expect(await store.getMany(['c', 'b', 'a', 'c'])).toEqual([3.5, undefined, 1, 3.5]);
        expect(await store.getMany([])).toEqual([]);
      });

      it('set replaces a counter and gives it a window from now', async () => {
        await store.increment('cooldown', 5, TTL_MS * 10);
        await store.set('cooldown', 1.25, TTL_MS);
        expect(await store.get('cooldown')).toBe(1.25);
        expect(await store.increment('cooldown', 1, TTL_MS * 10)).toBe(2.25);
        await elapse(TTL_MS * 1.2);
        expect(await store.get('cooldown')).toBeUndefined();
      });

      it('entries lists the live counters under a prefix, and nothing else', async () => {
        await store.increment('spend:key-1', 0.5, TTL_MS * 10);
        await store.increment('spend:key-2', 2, TTL_MS * 10);
        await store.increment('spend:gone', 1, TTL_MS);
        await store.increment('rpm:key-1', 7, TTL_MS * 10);
        await store.acquireLease('spend:leases', 'lease-1', 1, TTL_MS * 10);
        await elapse(TTL_MS * 1.2);
        const entries = await store.entries('spend:');
        expect(entries.sort(([a], [b]) => a.localeCompare(b))).toEqual([
          ['spend:key-1', 0.5],
          ['spend:key-2', 2],
        ]);
        expect(await store.entries('nothing:')).toEqual([]);
      });

      it('entries takes its prefix literally, pattern characters included', async () => {
        await store.increment('team[a]*:x', 1, TTL_MS * 10);
        await store.increment('team[a]b:x', 2, TTL_MS * 10);
        expect(await store.entries('team[a]*')).toEqual([['team[a]*:x', 1]]);
      });
    });

    describe('leases', () => {
      it('grants up to the limit, and one more after a release', async () => {
        expect(await store.acquireLease('parallel', 'r1', 2, TTL_MS * 10)).toBe(true);
        expect(await store.acquireLease('parallel', 'r2', 2, TTL_MS * 10)).toBe(true);
        expect(await store.acquireLease('parallel', 'r3', 2, TTL_MS * 10)).toBe(false);
        expect(await store.leases('parallel')).toBe(2);
        await store.releaseLease('parallel', 'r1');
        expect(await store.leases('parallel')).toBe(1);
        expect(await store.acquireLease('parallel', 'r3', 2, TTL_MS * 10)).toBe(true);
        expect(await store.leases('parallel')).toBe(2);
      });

      it('taking a lease already held renews it without a second slot', async () => {
        expect(await store.acquireLease('parallel', 'r1', 1, TTL_MS)).toBe(true);
        await elapse(TTL_MS * 0.6);
        expect(await store.acquireLease('parallel', 'r1', 1, TTL_MS)).toBe(true);
        expect(await store.leases('parallel')).toBe(1);
        await elapse(TTL_MS * 0.6);
        expect(await store.leases('parallel')).toBe(1);
      });

      it('a dead holder’s lease frees itself when its TTL ends', async () => {
        expect(await store.acquireLease('parallel', 'dead-instance', 1, TTL_MS)).toBe(true);
        expect(await store.acquireLease('parallel', 'r2', 1, TTL_MS)).toBe(false);
        await elapse(TTL_MS * 1.2);
        expect(await store.leases('parallel')).toBe(0);
        expect(await store.acquireLease('parallel', 'r2', 1, TTL_MS)).toBe(true);
      });

      it('releasing a lease never granted, or of a key never used, does nothing', async () => {
        await store.acquireLease('parallel', 'r1', 1, TTL_MS * 10);
        await store.releaseLease('parallel', 'unknown');
        await store.releaseLease('never-used', 'r1');
        expect(await store.leases('parallel')).toBe(1);
        expect(await store.leases('never-used')).toBe(0);
      });

      it('keys are independent: leases and counters of one key do not touch another', async () => {
        await store.acquireLease('parallel:a', 'r1', 1, TTL_MS * 10);
        expect(await store.acquireLease('parallel:b', 'r1', 1, TTL_MS * 10)).toBe(true);
        await store.increment('rpm:a', 1, TTL_MS * 10);
        expect(await store.get('rpm:b')).toBeUndefined();
      });
    });

    it('is healthy', () => {
      expect(store.health()).toBe('ok');
    });
  });
}
