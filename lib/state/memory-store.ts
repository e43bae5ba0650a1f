/** The default {@link Store}: counters in this process's memory. Right for one instance; Redis shares them. */
import type { Store } from '../types';

interface Counter {
  value: number;
  expiresAt: number;
}

/** Expired counters are swept out once this many writes have happened, so memory stays bounded. */
const SWEEP_EVERY_WRITES = 1024;

export class MemoryStore implements Store {
  private readonly counters = new Map<string, Counter>();
  private writes = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async increment(key: string, amount: number, ttlMs: number): Promise<number> {
    const now = this.now();
    if (++this.writes % SWEEP_EVERY_WRITES === 0) this.sweep(now);
    const counter = this.counters.get(key);
    if (counter && counter.expiresAt > now) {
      counter.value += amount;
      return counter.value;
    }
    this.counters.set(key, { value: amount, expiresAt: now + ttlMs });
    return amount;
  }

  async get(key: string): Promise<number | undefined> {
    const counter = this.counters.get(key);
    return counter && counter.expiresAt > this.now() ? counter.value : undefined;
  }

  private sweep(now: number): void {
    for (const [key, counter] of this.counters) if (counter.expiresAt <= now) this.counters.delete(key);
  }
}
