/**
 * The store's operations in Redis, each one round trip (except `entries`, for reports), under a key prefix. They
 * throw whatever Redis or the connection throws; deciding what a failure means is the store's job.
 */
import type { Store, WindowAdmission } from './store';
import { admissionCeiling } from './admission-ceiling';
import type { ScriptedRedis } from './redis-connection';

/** Keys asked for per SCAN step in `entries`: large enough for few round trips, small enough not to stall Redis. */
const SCAN_BATCH = 500;

/** A counter after a count: its value, and the milliseconds left in its window. */
export interface CounterState {
  readonly value: number;
  readonly resetsInMs: number;
}

/** Where {@link RedisCommands.probe} writes, under the store's prefix. */
const PROBE_KEY = 'store-probe';
const PROBE_TTL_MS = 60_000;

/** The {@link Store}'s operations on one connection, with every key under `keyPrefix`. */
export class RedisCommands {
  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keyPrefix: string,
  ) {}

  async increment(key: string, amount: number, ttlMs: number): Promise<CounterState> {
    const [value, resetsInMs] = await this.redis.incrementCounter(this.keyPrefix + key, String(amount), wholeMs(ttlMs));
    return { value: Number(value), resetsInMs };
  }

  async incrementWithin(key: string, amount: number, limit: number, ttlMs: number): Promise<WindowAdmission> {
    const [admitted, value, resetsInMs] = await this.redis.incrementWithinLimit(
      this.keyPrefix + key,
      String(amount),
      limitArgument(admissionCeiling(limit)),
      wholeMs(ttlMs),
    );
    // PTTL is -2 for a counter that does not exist (a refusal creates none).
    return { admitted: admitted === 1, value: Number(value), resetsInMs: resetsInMs >= 0 ? resetsInMs : undefined };
  }

  /** MGET: a key that does not exist, or holds leases rather than a counter, reads as undefined. */
  async getMany(keys: readonly string[]): Promise<Array<number | undefined>> {
    if (keys.length === 0) return [];
    const values = await this.redis.mget(keys.map((key) => this.keyPrefix + key));
    return values.map(counterValue);
  }

  async set(key: string, value: number, ttlMs: number): Promise<void> {
    await this.redis.set(this.keyPrefix + key, String(value), 'PX', wholeMs(ttlMs));
  }

  /** SCAN in batches with an MGET per batch; a key that expires in between is left out. */
  async entries(prefix: string): Promise<Array<[key: string, value: number]>> {
    const pattern = `${escapeGlob(this.keyPrefix + prefix)}*`;
    // SCAN may return a key twice (when Redis resizes its table mid-scan): the map keeps one.
    const found = new Map<string, number>();
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_BATCH);
      cursor = next;
      if (keys.length === 0) continue;
      const values = await this.redis.mget(keys);
      keys.forEach((key, index) => {
        const value = counterValue(values[index] ?? null);
        if (value !== undefined) found.set(key.slice(this.keyPrefix.length), value);
      });
    } while (cursor !== '0');
    return [...found];
  }

  async acquireLease(key: string, leaseId: string, limit: number, ttlMs: number): Promise<boolean> {
    return (await this.redis.acquireLease(this.keyPrefix + key, leaseId, limitArgument(limit), wholeMs(ttlMs))) === 1;
  }

  async releaseLease(key: string, leaseId: string): Promise<void> {
    await this.redis.zrem(this.keyPrefix + key, leaseId);
  }

  async leases(key: string): Promise<number> {
    return this.redis.countLeases(this.keyPrefix + key);
  }

  /**
   * Resolves when Redis takes a write. A write rather than PING: a Redis that answers but cannot write (a replica
   * after a failover, one out of memory) cannot count either.
   */
  async probe(): Promise<void> {
    await this.redis.set(this.keyPrefix + PROBE_KEY, 'probe', 'PX', PROBE_TTL_MS);
  }
}

/** Redis takes whole, positive milliseconds; a shorter window rounds up to 1 ms. */
function wholeMs(ttlMs: number): number {
  return Math.max(1, Math.ceil(ttlMs));
}

/** A limit as the scripts read it: `+inf` for none. */
function limitArgument(limit: number): string {
  return limit === Infinity ? '+inf' : String(limit);
}

/** A stored string as a counter; one that is not a number (the probe's mark) is no counter. */
function counterValue(stored: string | null): number | undefined {
  if (stored === null) return undefined;
  const value = Number(stored);
  return Number.isNaN(value) ? undefined : value;
}

/** Escapes the characters SCAN's MATCH treats as a pattern, so a prefix matches only itself. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
