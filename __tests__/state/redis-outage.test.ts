/**
 * Redis going away under a running store: killed (SIGKILL), hung (SIGSTOP), or absent from the start. The store
 * keeps serving from memory (fail open) or refuses admissions (fail closed), says so once, and goes back to Redis by
 * itself when Redis is back. Jest fails any test during which a promise rejection goes unhandled.
 */
import { createRedisStore, StoreUnavailableError, type RedisStore, type RedisStoreOptions } from '../../lib/state/redis-store';
import { describeWithRedis, RedisServer } from '../support/redis-server';
import { recordingLogger, type LogLine } from './recording-logger';

const MINUTE_MS = 60_000;

/** Waits until `condition` holds (failing after `timeoutMs`); returns how long that took. */
async function until(condition: () => boolean, timeoutMs = 5000): Promise<number> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`still not so after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - started;
}

async function timed<T>(call: () => Promise<T>): Promise<[result: T, ms: number]> {
  const started = Date.now();
  const result = await call();
  return [result, Date.now() - started];
}

const linesAt = (lines: LogLine[], level: LogLine['level']) => lines.filter((line) => line.level === level);

describeWithRedis('RedisStore while Redis is down', () => {
  let server: RedisServer;
  const stores: RedisStore[] = [];
  const logger = recordingLogger();

  const openStore = (options: Partial<RedisStoreOptions> = {}): RedisStore => {
    const store = createRedisStore({ url: server.url, keyPrefix: 'outage:', logger, ...options });
    stores.push(store);
    return store;
  };

  beforeEach(async () => {
    logger.lines.length = 0;
    server = await RedisServer.start();
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await server.stop();
    expect(linesAt(logger.lines, 'error')).toEqual([]);
  });

  it('fails open: killed mid-test, it keeps counting in memory at once, then counts in Redis again once Redis is back', async () => {
    const storeLogger = recordingLogger();
    const store = openStore({ logger: storeLogger });
    const otherInstance = openStore();
    expect(await store.incrementWithin('rpm', 1, 20, MINUTE_MS)).toMatchObject({ admitted: true, value: 1 });
    for (let request = 0; request < 5; request++) await otherInstance.incrementWithin('rpm', 1, 20, MINUTE_MS);
    expect(await store.incrementWithin('rpm', 1, 20, MINUTE_MS)).toMatchObject({ admitted: true, value: 7 });

    await server.kill();
    const [during, outageMs] = await timed(() =>
      Promise.all(Array.from({ length: 50 }, () => store.incrementWithin('rpm', 1, 20, MINUTE_MS))),
    );
    // Counted in memory, from the last count this instance saw in Redis (the other instance's included).
    expect(during.filter((admission) => admission.admitted).map((admission) => admission.value)).toEqual([
      8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
    ]);
    // Nothing waited on the dead Redis.
    expect(outageMs).toBeLessThan(100);
    expect(store.health()).toBe('degraded');
    expect(await store.increment('tpm', 250, MINUTE_MS)).toBe(250);
    expect(await store.getMany(['tpm', 'rpm'])).toEqual([250, 20]);
    await store.set('cooldown:d1', 1, MINUTE_MS);
    expect(await store.acquireLease('parallel', 'r1', 1, MINUTE_MS)).toBe(true);
    expect(await store.acquireLease('parallel', 'r2', 1, MINUTE_MS)).toBe(false);
    await store.releaseLease('parallel', 'r1');
    expect(await store.leases('parallel')).toBe(0);
    expect(await store.entries('cooldown:')).toEqual([['cooldown:d1', 1]]);

    const warnings = linesAt(storeLogger.lines, 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toBe('Redis is unreachable: each instance counts limits in its own memory until it is back');
    expect(warnings[0]?.fields).toMatchObject({ store: 'redis', failureMode: 'open' });

    await server.restart();
    // ioredis reconnects within a second; the store checks Redis serves, and switches back.
    const recoveryMs = await until(() => store.health() === 'ok', 3000);
    expect(recoveryMs).toBeLessThan(2000);
    const recovered = linesAt(storeLogger.lines, 'info');
    expect(recovered).toHaveLength(1);
    expect(recovered[0]?.message).toMatch(/^Redis is reachable again: counting in Redis again/);
    expect(recovered[0]?.fields).toMatchObject({ store: 'redis', downForMs: expect.any(Number) });

    // Back in Redis (empty after its restart: it kept nothing), where the other instance sees the count.
    expect(await store.incrementWithin('rpm', 1, 20, MINUTE_MS)).toMatchObject({ admitted: true, value: 1 });
    await until(() => otherInstance.health() === 'ok');
    expect(await otherInstance.get('rpm')).toBe(1);
    expect(linesAt(storeLogger.lines, 'warn')).toHaveLength(1);
    expect(linesAt(storeLogger.lines, 'error')).toEqual([]);
  });

  it('goes on from what it last saw in Redis: a budget nearly spent stays so, leases held still count', async () => {
    const store = openStore();
    expect(await store.increment('spend', 99.5, MINUTE_MS)).toBe(99.5);
    expect(await store.acquireLease('parallel', 'held-1', 3, MINUTE_MS)).toBe(true);
    expect(await store.acquireLease('parallel', 'held-2', 3, MINUTE_MS)).toBe(true);

    await server.kill();
    expect(await store.incrementWithin('spend', 1, 100, MINUTE_MS)).toMatchObject({ admitted: false, value: 99.5 });
    expect(await store.incrementWithin('spend', 0.5, 100, MINUTE_MS)).toMatchObject({ admitted: true, value: 100 });
    expect(await store.acquireLease('parallel', 'new-1', 3, MINUTE_MS)).toBe(true);
    expect(await store.acquireLease('parallel', 'new-2', 3, MINUTE_MS)).toBe(false);
    await store.releaseLease('parallel', 'held-1');
    expect(await store.acquireLease('parallel', 'new-2', 3, MINUTE_MS)).toBe(true);
    expect(store.health()).toBe('degraded');
  });

  it('calls in flight when Redis dies all complete, from memory', async () => {
    const store = openStore();
    await store.get('rpm');
    // Paused first, so that every call is surely in flight (written, unanswered) when the server dies.
    server.pause();
    const calls = Promise.all(
      Array.from({ length: 2000 }, (_, call) =>
        call % 2 === 0 ? store.incrementWithin('rpm', 1, 1_000_000, MINUTE_MS) : store.acquireLease('parallel', `r${call}`, 1_000_000, MINUTE_MS),
      ),
    );
    // ioredis rejects them all when the connection drops; each is then served from memory.
    await server.kill();
    const [results, ms] = await timed(() => calls);
    expect(ms).toBeLessThan(250);
    expect(results).toHaveLength(2000);
    expect(results.filter((result) => result === true || (typeof result === 'object' && result.admitted))).toHaveLength(2000);
    expect(store.health()).toBe('degraded');
  });

  it('fails closed: admissions are refused while Redis is down, other calls served from memory', async () => {
    const store = openStore({ failureMode: 'closed' });
    expect((await store.incrementWithin('rpm', 1, 100, MINUTE_MS)).admitted).toBe(true);

    await server.kill();
    await expect(store.incrementWithin('rpm', 1, 100, MINUTE_MS)).rejects.toThrow(StoreUnavailableError);
    await expect(store.acquireLease('parallel', 'r1', 1, MINUTE_MS)).rejects.toThrow(
      'Redis is unreachable and the store fails closed: limits cannot be checked until it is back',
    );
    expect(store.health()).toBe('degraded');
    // Counting what was used, and reading, keep working.
    expect(await store.increment('tpm', 10, MINUTE_MS)).toBe(10);
    expect(await store.get('tpm')).toBe(10);
    await store.releaseLease('parallel', 'r0');
    const warnings = linesAt(logger.lines, 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toBe(
      'Redis is unreachable: requests that need a limit checked are refused (redis_failure_mode: closed) until it is back',
    );

    await server.restart();
    await until(() => store.health() === 'ok');
    expect(await store.incrementWithin('rpm', 1, 100, MINUTE_MS)).toMatchObject({ admitted: true, value: 1 });
    expect(await store.acquireLease('parallel', 'r1', 1, MINUTE_MS)).toBe(true);
  });

  it('hung (SIGSTOP): a call gives up after the command timeout, later calls do not wait, and it recovers on resume', async () => {
    const store = openStore({ commandTimeoutMs: 250 });
    expect((await store.increment('rpm', 1, MINUTE_MS))).toBe(1);

    server.pause();
    const [first, firstMs] = await timed(() => store.increment('rpm', 1, MINUTE_MS));
    expect(first).toBe(2);
    expect(firstMs).toBeGreaterThanOrEqual(240);
    expect(firstMs).toBeLessThan(1000);
    expect(store.health()).toBe('degraded');
    const [, laterMs] = await timed(() => store.increment('rpm', 1, MINUTE_MS));
    expect(laterMs).toBeLessThan(50);

    server.resume();
    // The connection never dropped: the once-a-second probe notices Redis answers again.
    await until(() => store.health() === 'ok', 3000);
    // The call that timed out reached Redis all the same, and was counted there once Redis resumed.
    expect(await store.get('rpm')).toBe(2);
    expect(linesAt(logger.lines, 'warn')).toHaveLength(1);
    expect(linesAt(logger.lines, 'info')).toHaveLength(1);
  });

  it('answering but unable to write (out of memory): treated as down until it takes writes again', async () => {
    const store = openStore();
    expect(await store.increment('rpm', 1, MINUTE_MS)).toBe(1);
    await server.configure('maxmemory', '1');
    expect(await store.increment('rpm', 1, MINUTE_MS)).toBe(2);
    expect(store.health()).toBe('degraded');
    expect(linesAt(logger.lines, 'warn')[0]?.fields).toMatchObject({ error: expect.stringMatching(/^OOM/) });
    // It answers PING all along, yet the store stays degraded: its probe is a write.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(store.health()).toBe('degraded');

    await server.configure('maxmemory', '0');
    await until(() => store.health() === 'ok', 3000);
    // Counted in Redis, which refused the count made meanwhile (in memory, that would be a third).
    expect(await store.increment('rpm', 1, MINUTE_MS)).toBe(2);
  });

  it('absent from the start: serves from memory without waiting, and switches to Redis once it starts', async () => {
    const absent = await RedisServer.unstarted();
    const store = createRedisStore({ url: absent.url, keyPrefix: 'outage:', logger });
    stores.push(store);
    try {
      const [admission, ms] = await timed(() => store.incrementWithin('rpm', 1, 10, MINUTE_MS));
      expect(admission).toMatchObject({ admitted: true, value: 1 });
      expect(ms).toBeLessThan(300);
      expect(store.health()).toBe('degraded');

      await absent.restart();
      await until(() => store.health() === 'ok');
      expect(await store.incrementWithin('rpm', 1, 10, MINUTE_MS)).toMatchObject({ admitted: true, value: 1 });
      expect(linesAt(logger.lines, 'warn')).toHaveLength(1);
    } finally {
      await store.close();
      await absent.stop();
    }
  });

  it('a lease taken in Redis and released during the outage is given back once Redis is back', async () => {
    // Redis must keep its data through the outage for this one: hang it rather than kill it.
    const store = openStore();
    expect(await store.acquireLease('parallel', 'request-1', 1, MINUTE_MS)).toBe(true);
    server.pause();
    await store.releaseLease('parallel', 'request-1');
    expect(store.health()).toBe('degraded');
    server.resume();
    await until(() => store.health() === 'ok', 3000);
    await until(() => linesAt(logger.lines, 'debug').some((line) => line.message?.startsWith('gave back the leases')));
    expect(await store.leases('parallel')).toBe(0);
    expect(await store.acquireLease('parallel', 'request-2', 1, MINUTE_MS)).toBe(true);
  });

  it('while down for long, warns again at most once a minute', async () => {
    let offsetMs = 0;
    const store = openStore({ now: () => Date.now() + offsetMs });
    await store.get('rpm');
    await server.kill();
    await until(() => store.health() === 'degraded');
    expect(linesAt(logger.lines, 'warn')).toHaveLength(1);

    offsetMs += MINUTE_MS;
    // The next failed reconnection or probe (within about a second) reminds.
    await until(() => linesAt(logger.lines, 'warn').length === 2, 3000);
    expect(linesAt(logger.lines, 'warn')[1]).toMatchObject({
      message: 'Redis is still unreachable: each instance counts limits in its own memory',
      fields: { downForMs: expect.any(Number) },
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(linesAt(logger.lines, 'warn')).toHaveLength(2);
  });
});
