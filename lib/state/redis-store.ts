/**
 * The shared {@link Store} for many instances: counters and leases in Redis, each check-and-count one Lua script.
 *
 * Redis going away must not take the gateway with it. While Redis is unreachable (refused, reset, slower than the
 * command timeout) the store is `degraded` and serves every call from an in-memory store of its own, kept warm with
 * the last counts seen in Redis: limits keep counting, per instance (fail open), or admissions are refused (fail
 * closed). It probes Redis meanwhile and switches back by itself. Counts made in memory during an outage are not
 * merged back into Redis.
 */
import type { Logger } from '../types';
import type { Store, StoreHealth, WindowAdmission } from './store';
import { MemoryStore } from './memory-store';
import { OutageMonitor } from './outage-monitor';
import { RedisCommands } from './redis-commands';
import { connectRedis, type ScriptedRedis } from './redis-connection';
import type { RedisFailureMode, RedisStoreOptions } from './redis-store-options';
import { isRedisUnavailable } from './redis-unavailable';
import { ReleaseBacklog } from './release-backlog';
import { StoreUnavailableError } from './store-unavailable-error';

export type { RedisAddress, RedisFailureMode, RedisStoreOptions } from './redis-store-options';
export { StoreUnavailableError } from './store-unavailable-error';

const DEFAULT_KEY_PREFIX = 'bedrock-passthrough:';
const DEFAULT_COMMAND_TIMEOUT_MS = 250;
/**
 * How long calls made before Redis's first connection is ready wait for it before counting in memory. A first
 * connection takes a handshake and a ready check, which on a busy host can take longer than one command may: with only
 * the command timeout to wait, an instance starting beside others would count its first requests alone.
 */
const FIRST_CONNECTION_WAIT_MS = 3000;
/** While degraded, Redis is probed this often (and at once when the connection comes back). */
const PROBE_INTERVAL_MS = 1000;
/**
 * A count copied into the fallback is kept there at most this long after this instance's last count of it, so the
 * fallback holds what the instance counted in the last hour, not every budget period's and report cell's counter.
 */
const FALLBACK_COPY_KEPT_MS = 3_600_000;

/** Creates a store in Redis; it connects in the background. @throws when ioredis is not installed. */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  return new RedisStore(options);
}

export class RedisStore implements Store {
  private readonly redis: ScriptedRedis;
  private readonly commands: RedisCommands;
  /**
   * Serves while Redis is unreachable. While Redis is up it is kept warm: every count this instance makes in Redis
   * is copied into it with Redis's value and window (for an hour at most), so an outage goes on from the last counts
   * this instance saw (other instances' included) rather than from zero; a budget nearly spent stays nearly spent.
   */
  private readonly fallback: MemoryStore;
  private readonly monitor: OutageMonitor;
  private readonly releases = new ReleaseBacklog();
  private readonly failureMode: RedisFailureMode;
  private readonly logger: Logger;
  /**
   * Calls made before the first connection wait for it (at most a command timeout): a store just created has not
   * failed yet. Undefined once that wait is over.
   */
  private firstConnection: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  /** @throws when ioredis is not installed, saying how to fix it. */
  constructor(options: RedisStoreOptions) {
    const now = options.now ?? Date.now;
    const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.failureMode = options.failureMode ?? 'open';
    this.logger = options.logger;
    this.redis = connectRedis(options, commandTimeoutMs);
    this.commands = new RedisCommands(this.redis, options.keyPrefix ?? DEFAULT_KEY_PREFIX);
    this.fallback = new MemoryStore(now);
    this.monitor = new OutageMonitor({
      logger: options.logger,
      now,
      backend: 'Redis',
      fields: { store: 'redis', failureMode: this.failureMode },
      whileDown:
        this.failureMode === 'open'
          ? 'each instance counts limits in its own memory'
          : 'requests that need a limit checked are refused (redis_failure_mode: closed)',
      whenBack: 'counting in Redis again (counts made in memory meanwhile are not merged back)',
      probe: () => this.commands.probe(),
      probeIntervalMs: PROBE_INTERVAL_MS,
      onRecovered: () => this.giveBackReleasedLeases(),
    });
    // Connection errors (refused, reset, reconnects failing) degrade the store even when no call is being made, so
    // that health() tells the truth; 'ready' after a reconnect is the cue to check that Redis serves again.
    this.redis.on('error', (error: Error & { code?: unknown }) => {
      // Before the first connection is ready, only a network error is a verdict: a ready check that timed out on a
      // busy host is retried at once, and the first calls wait for it (see firstConnectionOutcome).
      if (this.firstConnection && typeof error.code !== 'string') return;
      this.monitor.failed(error);
    });
    this.redis.on('ready', () => this.monitor.probeNow());
    this.firstConnection = firstConnectionOutcome(this.redis, Math.max(commandTimeoutMs, FIRST_CONNECTION_WAIT_MS)).then(() => {
      this.firstConnection = undefined;
    });
  }

  increment(key: string, amount: number, ttlMs: number): Promise<number> {
    return this.serve(
      async (redis) => {
        const counter = await redis.increment(key, amount, ttlMs);
        await this.copyToFallback(key, counter.value, counter.resetsInMs);
        return counter.value;
      },
      () => this.fallback.increment(key, amount, ttlMs),
    );
  }

  incrementWithin(key: string, amount: number, limit: number, ttlMs: number): Promise<WindowAdmission> {
    return this.admit(
      async (redis) => {
        const admission = await redis.incrementWithin(key, amount, limit, ttlMs);
        if (admission.resetsInMs !== undefined) await this.copyToFallback(key, admission.value, admission.resetsInMs);
        return admission;
      },
      () => this.fallback.incrementWithin(key, amount, limit, ttlMs),
    );
  }

  async get(key: string): Promise<number | undefined> {
    const [value] = await this.getMany([key]);
    return value;
  }

  getMany(keys: readonly string[]): Promise<Array<number | undefined>> {
    return this.serve(
      (redis) => redis.getMany(keys),
      () => this.fallback.getMany(keys),
    );
  }

  set(key: string, value: number, ttlMs: number): Promise<void> {
    return this.serve(
      async (redis) => {
        await redis.set(key, value, ttlMs);
        await this.copyToFallback(key, value, ttlMs);
      },
      () => this.fallback.set(key, value, ttlMs),
    );
  }

  /** While degraded, only what this instance counted in memory. */
  entries(prefix: string): Promise<Array<[key: string, value: number]>> {
    return this.serve(
      (redis) => redis.entries(prefix),
      () => this.fallback.entries(prefix),
    );
  }

  acquireLease(key: string, leaseId: string, limit: number, ttlMs: number): Promise<boolean> {
    return this.admit(
      async (redis) => {
        const granted = await redis.acquireLease(key, leaseId, limit, ttlMs);
        // Redis decided; the copy only has to be there, so it takes no limit.
        if (granted) await this.fallback.acquireLease(key, leaseId, Infinity, Math.min(ttlMs, FALLBACK_COPY_KEPT_MS));
        return granted;
      },
      () => this.fallback.acquireLease(key, leaseId, limit, ttlMs),
    );
  }

  /** A release that cannot reach Redis is sent again once Redis is back. */
  async releaseLease(key: string, leaseId: string): Promise<void> {
    // The lease may have been granted from memory during an outage: give it back there too, whichever side serves now.
    await this.fallback.releaseLease(key, leaseId);
    await this.serve(
      (redis) => redis.releaseLease(key, leaseId),
      async () => this.releases.remember(key, leaseId),
    );
  }

  leases(key: string): Promise<number> {
    return this.serve(
      (redis) => redis.leases(key),
      () => this.fallback.leases(key),
    );
  }

  health(): StoreHealth {
    return this.monitor.degraded ? 'degraded' : 'ok';
  }

  /** Closing again returns the first close. */
  close(): Promise<void> {
    this.closing ??= this.disconnect();
    return this.closing;
  }

  /** From Redis, or from memory while Redis is unreachable (and when this call finds it so). */
  private async serve<T>(shared: (redis: RedisCommands) => Promise<T>, local: () => Promise<T>): Promise<T> {
    if (this.firstConnection) await this.firstConnection;
    if (!this.monitor.degraded) {
      try {
        return await shared(this.commands);
      } catch (error) {
        if (!isRedisUnavailable(error)) throw error;
        this.monitor.failed(error);
      }
    }
    return local();
  }

  /** {@link serve} for an admission, which a store failing closed refuses while degraded. */
  private admit<T>(shared: (redis: RedisCommands) => Promise<T>, local: () => Promise<T>): Promise<T> {
    return this.serve(shared, () => {
      if (this.failureMode === 'closed') {
        throw new StoreUnavailableError('Redis is unreachable and the store fails closed: limits cannot be checked until it is back');
      }
      return local();
    });
  }

  private async copyToFallback(key: string, value: number, resetsInMs: number): Promise<void> {
    await this.fallback.set(key, value, Math.min(resetsInMs, FALLBACK_COPY_KEPT_MS));
  }

  private async disconnect(): Promise<void> {
    this.monitor.stop();
    try {
      // QUIT lets the replies of calls in flight arrive first.
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  private giveBackReleasedLeases(): void {
    const releases = this.releases.takeAll();
    if (releases.length === 0) return;
    // Sent together: ioredis writes them one after another on the connection, costing about one round trip.
    void Promise.allSettled(releases.map(([key, leaseId]) => this.commands.releaseLease(key, leaseId))).then((results) => {
      const failed = results.filter((result) => result.status === 'rejected').length;
      if (failed === 0) {
        this.logger.debug({ store: 'redis', leases: releases.length }, 'gave back the leases released while Redis was unreachable');
      } else {
        this.logger.warn(
          { store: 'redis', leases: failed },
          'could not give back some leases released while Redis was unreachable; they free themselves when their TTL ends',
        );
      }
    });
  }
}

/**
 * Resolves once the connection is ready, or Redis cannot be reached (a network error: refused, unresolvable, reset),
 * or after `timeoutMs`, whichever comes first. A slow ready check (its INFO timing out on a busy host) is not a
 * verdict: ioredis reconnects at once, and the first calls wait for that rather than count in memory.
 */
function firstConnectionOutcome(redis: ScriptedRedis, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const settle = (): void => {
      clearTimeout(timer);
      redis.off('ready', settle);
      redis.off('error', onError);
      resolve();
    };
    const onError = (error: Error & { code?: unknown }): void => {
      if (typeof error.code === 'string') settle();
    };
    const timer = setTimeout(settle, timeoutMs);
    timer.unref();
    redis.once('ready', settle);
    redis.on('error', onError);
  });
}
