/** The default {@link Store}: counters and leases in this process's memory. Right for one instance; Redis shares them. */
import type { Store, StoreHealth, WindowAdmission } from './store';
import { admissionCeiling } from './admission-ceiling';

interface Counter {
  value: number;
  expiresAt: number;
}

/** Lease id → when that lease expires. */
type Leases = Map<string, number>;

/** Expired counters and leases are swept out once this many writes have happened, so memory stays bounded. */
const SWEEP_EVERY_WRITES = 1024;

/**
 * Counters with fixed windows and leases that expire, in two maps. Every method is synchronous underneath, so each
 * check-and-count is atomic within the process. Also what the Redis store serves from while Redis is down.
 */
export class MemoryStore implements Store {
  private readonly counters = new Map<string, Counter>();
  private readonly leaseHolders = new Map<string, Leases>();
  private writes = 0;

  /** @param now the clock, in milliseconds: injectable so tests can move time. */
  constructor(private readonly now: () => number = Date.now) {}

  async increment(key: string, amount: number, ttlMs: number): Promise<number> {
    const now = this.beginWrite();
    const counter = this.liveCounter(key, now);
    if (counter) {
      counter.value += amount;
      return counter.value;
    }
    this.counters.set(key, { value: amount, expiresAt: now + ttlMs });
    return amount;
  }

  async incrementWithin(key: string, amount: number, limit: number, ttlMs: number): Promise<WindowAdmission> {
    const now = this.beginWrite();
    const counter = this.liveCounter(key, now);
    const current = counter?.value ?? 0;
    if (current + amount > admissionCeiling(limit)) {
      // A refused call creates nothing: a counter that does not exist has no window yet.
      return { admitted: false, value: current, resetsInMs: counter ? counter.expiresAt - now : undefined };
    }
    if (counter) {
      counter.value += amount;
      return { admitted: true, value: counter.value, resetsInMs: counter.expiresAt - now };
    }
    this.counters.set(key, { value: amount, expiresAt: now + ttlMs });
    return { admitted: true, value: amount, resetsInMs: ttlMs };
  }

  async get(key: string): Promise<number | undefined> {
    return this.liveCounter(key, this.now())?.value;
  }

  async getMany(keys: readonly string[]): Promise<Array<number | undefined>> {
    const now = this.now();
    return keys.map((key) => this.liveCounter(key, now)?.value);
  }

  async set(key: string, value: number, ttlMs: number): Promise<void> {
    const now = this.beginWrite();
    this.counters.set(key, { value, expiresAt: now + ttlMs });
  }

  async entries(prefix: string): Promise<Array<[key: string, value: number]>> {
    const now = this.now();
    const found: Array<[string, number]> = [];
    for (const [key, counter] of this.counters) {
      if (counter.expiresAt > now && key.startsWith(prefix)) found.push([key, counter.value]);
    }
    return found;
  }

  async acquireLease(key: string, leaseId: string, limit: number, ttlMs: number): Promise<boolean> {
    const now = this.beginWrite();
    const holders = this.leaseHolders.get(key) ?? new Map<string, number>();
    dropExpired(holders, now);
    // Taking a lease already held renews it, as Redis's ZADD does: a retry of the same request takes no second slot.
    if (!holders.has(leaseId) && holders.size >= limit) return false;
    holders.set(leaseId, now + ttlMs);
    this.leaseHolders.set(key, holders);
    return true;
  }

  async releaseLease(key: string, leaseId: string): Promise<void> {
    const holders = this.leaseHolders.get(key);
    if (!holders) return;
    holders.delete(leaseId);
    if (holders.size === 0) this.leaseHolders.delete(key);
  }

  async leases(key: string): Promise<number> {
    const holders = this.leaseHolders.get(key);
    if (!holders) return 0;
    const now = this.now();
    let live = 0;
    for (const expiresAt of holders.values()) if (expiresAt > now) live++;
    return live;
  }

  health(): StoreHealth {
    return 'ok';
  }

  async close(): Promise<void> {}

  /** Counts a write, sweeping every {@link SWEEP_EVERY_WRITES}; returns the time the write happens at. */
  private beginWrite(): number {
    const now = this.now();
    if (++this.writes % SWEEP_EVERY_WRITES === 0) this.sweep(now);
    return now;
  }

  private liveCounter(key: string, now: number): Counter | undefined {
    const counter = this.counters.get(key);
    return counter && counter.expiresAt > now ? counter : undefined;
  }

  private sweep(now: number): void {
    for (const [key, counter] of this.counters) if (counter.expiresAt <= now) this.counters.delete(key);
    for (const [key, holders] of this.leaseHolders) {
      dropExpired(holders, now);
      if (holders.size === 0) this.leaseHolders.delete(key);
    }
  }
}

function dropExpired(holders: Leases, now: number): void {
  for (const [leaseId, expiresAt] of holders) if (expiresAt <= now) holders.delete(leaseId);
}
