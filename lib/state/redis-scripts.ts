/**
 * The Lua scripts behind every check-and-count of the Redis store. Redis runs a script as one step, with no other
 * command in between, so a check and the count that follows it cannot be split by another instance: two instances
 * can never both take the last unit of a limit. Each script touches the one key it is given (KEYS[1]).
 *
 * Numbers cross as strings both ways: Redis truncates a Lua number it returns to an integer (and Lua prints only 14
 * digits), and a limit may be `+inf`.
 */

/** A script and how many of its arguments are keys, as ioredis's `defineCommand` takes them. */
export interface ScriptDefinition {
  readonly numberOfKeys: number;
  readonly lua: string;
}

/** A limit argument: a number, or `+inf` for none (spelled out: Lua's own parsing of `inf` depends on the platform). */
const LIMIT = `
local function limit(argument)
  if argument == '+inf' then return math.huge end
  return tonumber(argument)
end
`;

/**
 * Adds ARGV[1] to the counter; a counter without an expiry (just created) gets ARGV[2] milliseconds: a fixed window
 * from its first count. Returns `{value, PTTL}`.
 */
export const INCREMENT: ScriptDefinition = {
  numberOfKeys: 1,
  lua: `
local value = redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {value, ttl}
`,
};

/**
 * Adds ARGV[1] only if the counter stays at or below ARGV[2] (the admission ceiling, possibly `+inf`), creating it
 * as {@link INCREMENT} does. A refused call changes and creates nothing. Returns `{admitted 0|1, value, PTTL}`
 * (PTTL -2 when the counter does not exist).
 */
export const INCREMENT_WITHIN: ScriptDefinition = {
  numberOfKeys: 1,
  lua: `${LIMIT}
local stored = redis.call('GET', KEYS[1]) or '0'
if tonumber(stored) + tonumber(ARGV[1]) > limit(ARGV[2]) then
  return {0, stored, redis.call('PTTL', KEYS[1])}
end
local value = redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  ttl = tonumber(ARGV[3])
end
return {1, value, ttl}
`,
};

/**
 * The server's clock in milliseconds. Lease expiries are read and written with it, never with a gateway's clock, so
 * instances whose clocks disagree still agree on which leases have expired. (Writing after TIME needs Redis 5 or
 * later, which replicates a script's effects rather than the script.)
 */
const SERVER_NOW_MS = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
`;

/**
 * Takes a lease: the sorted set KEYS[1] holds lease ids scored by their expiry. Drops the expired, then adds ARGV[1]
 * (expiring in ARGV[3] ms) if fewer than ARGV[2] remain or it is already held (then it is renewed). The set itself
 * expires with its longest lease, so a key nobody uses again disappears. Returns 1 when granted, else 0.
 */
export const ACQUIRE_LEASE: ScriptDefinition = {
  numberOfKeys: 1,
  lua: `${LIMIT}${SERVER_NOW_MS}
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= limit(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
`,
};

/** Counts the unexpired leases of KEYS[1] (scored after the server's now), without writing. */
export const COUNT_LEASES: ScriptDefinition = {
  numberOfKeys: 1,
  lua: `${SERVER_NOW_MS}
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
`,
};
