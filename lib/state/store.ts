/**
 * Shared state: the counters behind key limits, budgets, spend, cooldowns and deployment usage. In memory for one
 * instance; in Redis for many, where every check-and-count is one atomic step so that two instances can never both
 * take the last unit of a limit.
 *
 * All numbers are floating point (spend in USD), keys are plain strings; each implementation may prefix them.
 */

/** The result of counting against a limit. */
export interface WindowAdmission {
  /** Whether the amount was counted (it fitted under the limit). */
  readonly admitted: boolean;
  /** The counter after the call: with the amount when admitted, without it otherwise. */
  readonly value: number;
  /** Milliseconds until the counter expires (the window ends), when it exists. */
  readonly resetsInMs: number | undefined;
}

/** Whether the store is serving from its backend or, degraded, from a local fallback. */
export type StoreHealth = 'ok' | 'degraded';

export interface Store {
  /**
   * Adds `amount` to the counter `key` (created at 0, expiring `ttlMs` after its creation: a fixed window) and returns
   * the new value.
   */
  increment(key: string, amount: number, ttlMs: number): Promise<number>;

  /**
   * Adds `amount` only if the result stays at or below `limit`, atomically; the counter is created as in
   * {@link increment}. The admission check of rate limits.
   */
  incrementWithin(key: string, amount: number, limit: number, ttlMs: number): Promise<WindowAdmission>;

  /** The counter's value, or undefined when it does not exist or has expired. */
  get(key: string): Promise<number | undefined>;

  /** Several counters at once (one round trip), in the order of `keys`. */
  getMany(keys: readonly string[]): Promise<Array<number | undefined>>;

  /** Sets the counter to `value`, expiring `ttlMs` from now (a cooldown mark). */
  set(key: string, value: number, ttlMs: number): Promise<void>;

  /** Every live counter whose key starts with `prefix` (for reports: a spend table, never the hot path). */
  entries(prefix: string): Promise<Array<[key: string, value: number]>>;

  /**
   * Takes one of `limit` concurrent leases on `key` for `leaseId`, atomically; a lease expires `ttlMs` after it is
   * taken unless released, so the leases of an instance that died free themselves.
   * @returns whether the lease was granted.
   */
  acquireLease(key: string, leaseId: string, limit: number, ttlMs: number): Promise<boolean>;

  /** Gives a lease back (nothing happens if it expired or was never granted). */
  releaseLease(key: string, leaseId: string): Promise<void>;

  /** How many unexpired leases `key` has. */
  leases(key: string): Promise<number>;

  /** `ok`, or `degraded` while a shared store's backend is unreachable and it serves from memory. */
  health(): StoreHealth;

  /** Closes connections; a closed store must not be used again. */
  close(): Promise<void>;
}
