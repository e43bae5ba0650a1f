/**
 * How a host configures the Redis store. Kept apart from the store so that these declarations never name ioredis:
 * a host without it installed still type-checks against them.
 */
import type { Logger } from '../types';

/** Where Redis is: a URL (`redis://:password@host:6379/0`, `rediss://` for TLS), or a host, port and password. */
export interface RedisAddress {
  /** Wins over `host` and `port`; a password in it wins over `password`. */
  readonly url?: string | undefined;
  /** Default `localhost`. */
  readonly host?: string | undefined;
  /** Default 6379. */
  readonly port?: number | undefined;
  readonly password?: string | undefined;
}

/**
 * What the store does with admissions (`incrementWithin`, `acquireLease`) while Redis is unreachable: `open` counts
 * them in this instance's memory and keeps admitting; `closed` refuses them, throwing a `StoreUnavailableError`.
 */
export type RedisFailureMode = 'open' | 'closed';

export interface RedisStoreOptions extends RedisAddress {
  /**
   * Prefix of every key the store writes. Default `bedrock-passthrough:`. Gateways that share a Redis but must not
   * share limits take different prefixes.
   */
  readonly keyPrefix?: string | undefined;
  /** Hears when Redis goes away and comes back. */
  readonly logger: Logger;
  /** Default `open`: the gateway keeps serving, each instance counting limits on its own until Redis is back. */
  readonly failureMode?: RedisFailureMode | undefined;
  /**
   * The clock, in milliseconds, of the in-memory fallback and of the warnings' pacing. Default `Date.now`. Lease
   * expiry in Redis uses Redis's own clock, so that instances with skewed clocks agree.
   */
  readonly now?: (() => number) | undefined;
  /**
   * How long a Redis command may take before the store gives up on it and serves from memory. Default 250 ms: far
   * above a healthy Redis's round trip, far below what a request should wait.
   */
  readonly commandTimeoutMs?: number | undefined;
}
