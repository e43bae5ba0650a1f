/**
 * The Redis store against a real redis-server: the Store contract, atomicity across instances (two stores, two
 * connections, one Redis), and what lives in Redis.
 */
import { Redis } from 'ioredis';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { createRedisStore, type RedisStore } from '../../lib/state/redis-store';
import { describeWithRedis, RedisServer } from '../support/redis-server';
import { recordingLogger } from './recording-logger';
import { describeStoreContract } from './store-contract';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describeWithRedis('RedisStore', () => {
  let server: RedisServer;
  let inspector: Redis;
  const stores: RedisStore[] = [];
  let tests = 0;

  /** A store on the test server under a key prefix of its own, closed after the test. */
  const openStore = (options: { keyPrefix?: string; now?: () => number } = {}): RedisStore => {
    const store = createRedisStore({ url: server.url, keyPrefix: `test-${++tests}:`, logger: recordingLogger(), ...options });
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    server = await RedisServer.start();
    inspector = new Redis(server.port, '127.0.0.1');
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });
  afterAll(async () => {
    inspector?.disconnect();
    await server?.stop();
  });

  describeStoreContract('RedisStore', async () => ({ store: openStore(), elapse: sleep }));

  describe('two instances never both take the last unit', () => {
    it('200 concurrent incrementWithin calls on two stores admit exactly the limit', async () => {
      const [first, second] = [openStore({ keyPrefix: 'shared:' }), openStore({ keyPrefix: 'shared:' })];
      const admissions = await Promise.all(
        Array.from({ length: 200 }, (_, call) => (call % 2 === 0 ? first : second).incrementWithin('rpm:concurrent', 1, 10, 60_000)),
      );
      expect(admissions.filter((admission) => admission.admitted)).toHaveLength(10);
      expect(admissions.filter((admission) => admission.admitted).map((admission) => admission.value).sort((a, b) => a - b)).toEqual([
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
      ]);
      expect(await first.get('rpm:concurrent')).toBe(10);
      expect([first.health(), second.health()]).toEqual(['ok', 'ok']);
    });

    it('concurrent spend in cents on two stores stops at the budget', async () => {
      const [first, second] = [openStore({ keyPrefix: 'shared-spend:' }), openStore({ keyPrefix: 'shared-spend:' })];
      const admissions = await Promise.all(
        Array.from({ length: 300 }, (_, call) => (call % 2 === 0 ? first : second).incrementWithin('spend', 0.01, 1, 60_000)),
      );
      expect(admissions.filter((admission) => admission.admitted)).toHaveLength(100);
      expect(await second.get('spend')).toBeCloseTo(1, 9);
    });

    it('100 concurrent acquireLease calls on two stores grant exactly the limit', async () => {
      const [first, second] = [openStore({ keyPrefix: 'shared-leases:' }), openStore({ keyPrefix: 'shared-leases:' })];
      const granted = await Promise.all(
        Array.from({ length: 100 }, (_, call) => (call % 2 === 0 ? first : second).acquireLease('parallel', `request-${call}`, 7, 60_000)),
      );
      expect(granted.filter(Boolean)).toHaveLength(7);
      expect(await first.leases('parallel')).toBe(7);
    });
  });

  describe('in Redis', () => {
    it('keys carry the prefix, bedrock-passthrough: by default, and counters expire in Redis', async () => {
      const store = createRedisStore({ url: server.url, logger: recordingLogger() });
      stores.push(store);
      await store.increment('rpm:default-prefix', 1, 60_000);
      await store.acquireLease('parallel:default-prefix', 'r1', 1, 60_000);
      expect(await inspector.get('bedrock-passthrough:rpm:default-prefix')).toBe('1');
      const ttl = await inspector.pttl('bedrock-passthrough:rpm:default-prefix');
      expect(ttl).toBeGreaterThan(59_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
      expect(await inspector.zcard('bedrock-passthrough:parallel:default-prefix')).toBe(1);
      expect(await inspector.pttl('bedrock-passthrough:parallel:default-prefix')).toBeGreaterThan(59_000);
    });

    it('stores under different prefixes share nothing', async () => {
      const [teamA, teamB] = [openStore({ keyPrefix: 'team-a:' }), openStore({ keyPrefix: 'team-b:' })];
      await teamA.increment('rpm', 5, 60_000);
      expect(await teamB.get('rpm')).toBeUndefined();
      expect(await teamB.entries('')).toEqual([]);
    });

    it('lease expiry follows Redis’s clock, not the instances’: clocks an hour apart agree', async () => {
      const hourAhead = openStore({ keyPrefix: 'skew:', now: () => Date.now() + 3_600_000 });
      const onTime = openStore({ keyPrefix: 'skew:' });
      expect(await hourAhead.acquireLease('parallel', 'r1', 1, 10_000)).toBe(true);
      expect(await onTime.leases('parallel')).toBe(1);
      expect(await onTime.acquireLease('parallel', 'r2', 1, 10_000)).toBe(false);
    });

    it('the scripts are loaded again after Redis forgets them (SCRIPT FLUSH)', async () => {
      const store = openStore();
      expect(await store.incrementWithin('rpm', 1, 5, 60_000)).toMatchObject({ admitted: true, value: 1 });
      await inspector.script('FLUSH');
      expect(await store.incrementWithin('rpm', 1, 5, 60_000)).toMatchObject({ admitted: true, value: 2 });
      expect(await store.acquireLease('parallel', 'r1', 1, 60_000)).toBe(true);
      expect(store.health()).toBe('ok');
    });

    it('entries reads every counter in batches, and only counters', async () => {
      const store = openStore();
      await Promise.all(Array.from({ length: 1200 }, (_, key) => store.increment(`spend:key-${key}`, key / 100, 60_000)));
      await store.acquireLease('spend:leases', 'r1', 1, 60_000);
      const entries = await store.entries('spend:');
      expect(entries).toHaveLength(1200);
      expect(new Map(entries).get('spend:key-1199')).toBeCloseTo(11.99, 12);
    });

    it('a first connection slower than a command may take is waited for: the first calls count in Redis', async () => {
      // A relay that holds the first connection 600 ms before passing it on (a busy host at start-up): ioredis's ready
      // check times out on it, and it reconnects.
      const sockets = new Set<Socket>();
      let connections = 0;
      const relay = createServer((client) => {
        sockets.add(client);
        client.pause();
        const holdMs = connections++ === 0 ? 600 : 0;
        setTimeout(() => {
          const upstream = connect(server.port, '127.0.0.1');
          sockets.add(upstream);
          client.pipe(upstream).pipe(client);
          client.resume();
          for (const socket of [client, upstream]) socket.on('error', () => undefined).on('close', () => sockets.delete(socket));
        }, holdMs);
      });
      relay.listen(0, '127.0.0.1');
      await once(relay, 'listening');
      try {
        const store = createRedisStore({ url: `redis://127.0.0.1:${(relay.address() as AddressInfo).port}`, keyPrefix: 'slow-start:', logger: recordingLogger() });
        stores.push(store);
        expect(await store.incrementWithin('rpm', 1, 5, 60_000)).toMatchObject({ admitted: true, value: 1 });
        expect(store.health()).toBe('ok');
        expect(await inspector.keys('slow-start:*')).not.toHaveLength(0);
        expect(connections).toBeGreaterThan(1);
        await store.close();
      } finally {
        sockets.forEach((socket) => socket.destroy());
        await new Promise((resolve) => relay.close(resolve));
      }
    });

    it('a wrong call is the caller’s error, not an outage', async () => {
      const store = openStore();
      await store.acquireLease('parallel', 'r1', 1, 60_000);
      await expect(store.increment('parallel', 1, 60_000)).rejects.toThrow(/WRONGTYPE/);
      await expect(store.increment('rpm', Number.NaN, 60_000)).rejects.toThrow(/not a valid float/);
      expect(store.health()).toBe('ok');
    });
  });
});
