/**
 * The Redis store's ioredis connection: ioredis is an optional peer, loaded here on first use so the main entry never
 * loads it, and configured to fail fast. A gateway must not wait on a Redis that is gone: while disconnected, a call
 * fails at once and the store serves it from memory.
 */
import type { Redis, RedisOptions } from 'ioredis';
import { requireOptionalPeer } from '../util/optional-peer';
import type { RedisAddress } from './redis-store-options';
import { ACQUIRE_LEASE, COUNT_LEASES, INCREMENT, INCREMENT_WITHIN } from './redis-scripts';

/** The store's scripts, as commands on the connection (ioredis sends EVALSHA, and EVAL when Redis lacks the script). */
export interface StoreScripts {
  incrementCounter(key: string, amount: string, ttlMs: number): Promise<[value: string, ttlMs: number]>;
  incrementWithinLimit(key: string, amount: string, limit: string, ttlMs: number): Promise<[admitted: number, value: string, ttlMs: number]>;
  acquireLease(key: string, leaseId: string, limit: string, ttlMs: number): Promise<number>;
  countLeases(key: string): Promise<number>;
}

/** An ioredis connection with the store's scripts defined on it. */
export type ScriptedRedis = Redis & StoreScripts;

/** The longest pause between reconnection attempts: Redis back up is noticed within about a second. */
const MAX_RECONNECT_DELAY_MS = 1000;
/** A connection attempt to an unanswering host is given up after this, and tried again. */
const CONNECT_TIMEOUT_MS = 2000;

/**
 * Opens a connection (it connects in the background) with the store's scripts defined.
 * @param commandTimeoutMs how long a command may take before it fails (and the store degrades).
 * @throws when ioredis is not installed, saying how to fix it.
 */
export function connectRedis(address: RedisAddress, commandTimeoutMs: number): ScriptedRedis {
  const { Redis: RedisClient } = loadIORedis();
  const options: RedisOptions = {
    ...(address.host === undefined ? {} : { host: address.host }),
    ...(address.port === undefined ? {} : { port: address.port }),
    ...(address.password === undefined ? {} : { password: address.password }),
    // While disconnected, fail at once rather than queue until a reconnect.
    enableOfflineQueue: false,
    commandTimeout: commandTimeoutMs,
    // Commands in flight when the connection drops fail at once, and are never sent again after a reconnect: the
    // store has already counted them in memory, and a late resend would count them twice.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // Closing waits this long for the socket to close before destroying it. ioredis's 2 s default also applies to a
    // socket that is already gone (closing during an outage), holding the process open for nothing.
    disconnectTimeout: commandTimeoutMs,
    // Keep reconnecting for as long as it takes.
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
    // After a failover, the old primary refuses writes: reconnect, which finds the new primary behind the same name
    // (as ElastiCache's primary endpoint does).
    reconnectOnError: (error) => error.message.startsWith('READONLY'),
    // Commands issued in the same tick (the spend table's counters of one request) go out as one write.
    enableAutoPipelining: true,
  };
  const client = address.url === undefined ? new RedisClient(options) : new RedisClient(address.url, options);
  client.defineCommand('incrementCounter', INCREMENT);
  client.defineCommand('incrementWithinLimit', INCREMENT_WITHIN);
  client.defineCommand('acquireLease', ACQUIRE_LEASE);
  client.defineCommand('countLeases', COUNT_LEASES);
  return client as ScriptedRedis;
}

function loadIORedis(): typeof import('ioredis') {
  const ioredis = requireOptionalPeer<typeof import('ioredis')>('ioredis');
  if (!ioredis) throw new Error('The Redis store needs the ioredis package (>= 5): npm install ioredis');
  return ioredis;
}
