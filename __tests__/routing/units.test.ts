/** The routing's pure parts: retry classification and backoff, cooldown arithmetic, stats windows, the memory store. */
import { Cooldowns } from '../../lib/routing/cooldowns';
import { backoffMs, isRetryableStatus, isRetryableStreamException, retryAfterMs } from '../../lib/routing/retry-policy';
import { RouterStats } from '../../lib/routing/stats';
import { MemoryStore } from '../../lib/state/memory-store';

describe('retry policy', () => {
  it('retries throttling and server errors, never client errors', () => {
    expect([429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 408, 409, 413, 424, 501].some(isRetryableStatus)).toBe(false);
    expect(['throttlingException', 'serviceUnavailableException', 'internalServerException'].every(isRetryableStreamException)).toBe(true);
    expect(['validationException', 'modelStreamErrorException', 'modelTimeoutException', undefined].some(isRetryableStreamException)).toBe(false);
  });

  it('reads retry-after as seconds or as a date', () => {
    const now = Date.parse('2026-11-21T12:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3000);
    expect(retryAfterMs('Sat, 21 Nov 2026 12:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
  });

  it('pauses briefly when moving on, and backs off (honouring retry-after) on the same deployment', () => {
    expect(backoffMs(1, false, undefined, () => 0.999)).toBeLessThan(25);
    expect(backoffMs(3, false, 60_000, () => 0.999)).toBeLessThan(100);
    expect(backoffMs(1, true, undefined, () => 0)).toBe(125);
    expect(backoffMs(2, true, undefined, () => 0.999)).toBeLessThanOrEqual(500);
    expect(backoffMs(1, true, 2000, () => 0.5)).toBe(2000);
    expect(backoffMs(20, true, 60_000, () => 0.5)).toBe(10_000);
  });
});

describe('cooldowns', () => {
  it('cool a deployment after allowed_fails failures in a minute, or at once when asked, for cooldown_time', async () => {
    let now = Date.parse('2026-11-21T12:00:00Z');
    const cooldowns = new Cooldowns(new MemoryStore(() => now), { allowedFails: 2, cooldownMs: 10_000 }, () => now);
    expect(await cooldowns.recordFailure('a', false)).toBe(false);
    expect(cooldowns.isCoolingDown('a')).toBe(false);
    expect(await cooldowns.recordFailure('a', false)).toBe(true);
    expect(cooldowns.isCoolingDown('a')).toBe(true);
    now += 10_001;
    expect(cooldowns.isCoolingDown('a')).toBe(false);
    expect(await cooldowns.recordFailure('b', true)).toBe(true);
    expect(cooldowns.lastFailureAt('b')).toBe(now);
    expect(cooldowns.lastFailureAt('never')).toBe(0);
  });

  it('forget failures of a past minute', async () => {
    let now = Date.parse('2026-11-21T12:00:50Z');
    const cooldowns = new Cooldowns(new MemoryStore(() => now), { allowedFails: 2, cooldownMs: 10_000 }, () => now);
    await cooldowns.recordFailure('a', false);
    now += 20_000;
    expect(await cooldowns.recordFailure('a', false)).toBe(false);
  });
});

describe('router stats', () => {
  it('count requests and tokens per minute, in flight, and a moving latency per kind of call', () => {
    let now = Date.parse('2026-11-21T12:00:00Z');
    const stats = new RouterStats(() => now);
    stats.started('a');
    stats.started('a');
    stats.addTokens('a', 100);
    expect(stats.inFlight('a')).toBe(2);
    expect(stats.usageThisMinute('a')).toEqual({ minute: expect.any(Number), requests: 2, tokens: 100 });
    stats.finished('a');
    stats.finished('a');
    expect(stats.inFlight('a')).toBe(0);
    now += 60_000;
    expect(stats.usageThisMinute('a')).toEqual({ requests: 0, tokens: 0 });
    stats.observeLatency('a', true, 100);
    stats.observeLatency('a', true, 200);
    expect(stats.latencyMs('a', true)).toBe(130);
    expect(stats.latencyMs('a', false)).toBeUndefined();
  });
});

describe('memory store', () => {
  it('counts until expiry, then starts again', async () => {
    let now = 0;
    const store = new MemoryStore(() => now);
    expect(await store.increment('k', 2, 1000)).toBe(2);
    expect(await store.increment('k', 3, 1000)).toBe(5);
    expect(await store.get('k')).toBe(5);
    now = 1000;
    expect(await store.get('k')).toBeUndefined();
    expect(await store.increment('k', 1, 1000)).toBe(1);
  });
});
