/**
 * The Redis store's parts that need no Redis: which failures are an outage, the backlog of releases, and loading
 * ioredis only when a Redis store is created.
 */
import { isRedisUnavailable } from '../../lib/state/redis-unavailable';
import { ReleaseBacklog } from '../../lib/state/release-backlog';
import { recordingLogger } from './recording-logger';

/** An error as ioredis's reply parser makes it: a `ReplyError`. */
function replyError(message: string): Error {
  const error = new Error(message);
  Object.defineProperty(error, 'name', { value: 'ReplyError' });
  return error;
}

describe('isRedisUnavailable', () => {
  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' })],
    ['a reset connection', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['a command timeout', new Error('Command timed out')],
    ['a call while disconnected', new Error("Stream isn't writeable and enableOfflineQueue options is false")],
    ['a closed connection', new Error('Connection is closed.')],
    ['a command dropped with its connection', Object.assign(new Error('Reached the max retries per request limit (which is 0).'), { name: 'MaxRetriesPerRequestError' })],
    ['a Redis still loading', replyError('LOADING Redis is loading the dataset in memory')],
    ['a replica after failover', replyError("READONLY You can't write against a read only replica.")],
    ['too few replicas to write', replyError('NOREPLICAS Not enough good replicas to write.')],
    ['a full Redis', replyError("OOM command not allowed when used memory > 'maxmemory'.")],
    ['a wrong password', replyError('WRONGPASS invalid username-password pair or user is disabled.')],
    ['too many clients', replyError('ERR max number of clients reached')],
  ])('%s is an outage', (_, error) => {
    expect(isRedisUnavailable(error)).toBe(true);
  });

  it.each([
    ['a wrong type', replyError('WRONGTYPE Operation against a key holding the wrong kind of value')],
    ['a bad argument', replyError('ERR value is not a valid float')],
    ['a script error', replyError('ERR user_script:1: Script attempted to access nonexistent global variable')],
    ['a bug of ours', new TypeError("Cannot read properties of undefined (reading 'incrementCounter')")],
    ['something not an error', 'oops'],
  ])('%s is the caller’s error', (_, error) => {
    expect(isRedisUnavailable(error)).toBe(false);
  });
});

describe('ReleaseBacklog', () => {
  it('keeps each release once, gives them all back once, and forgets the oldest beyond 10,000', () => {
    const backlog = new ReleaseBacklog();
    backlog.remember('parallel:a', 'r1');
    backlog.remember('parallel:a', 'r1');
    backlog.remember('parallel:b', 'r1');
    expect(backlog.takeAll()).toEqual([
      ['parallel:a', 'r1'],
      ['parallel:b', 'r1'],
    ]);
    expect(backlog.takeAll()).toEqual([]);
    for (let lease = 0; lease < 10_005; lease++) backlog.remember('parallel', `r${lease}`);
    const kept = backlog.takeAll();
    expect(kept).toHaveLength(10_000);
    expect(kept[0]).toEqual(['parallel', 'r5']);
  });
});

describe('ioredis, an optional peer', () => {
  it('is loaded when a Redis store is created, not when its module is', () => {
    jest.isolateModules(() => {
      const loaded = jest.fn();
      jest.doMock('ioredis', () => {
        loaded();
        return jest.requireActual('ioredis');
      });
      const { createRedisStore } = require('../../lib/state/redis-store') as typeof import('../../lib/state/redis-store');
      expect(loaded).not.toHaveBeenCalled();
      const store = createRedisStore({ port: 1, logger: recordingLogger() });
      expect(loaded).toHaveBeenCalledTimes(1);
      void store.close();
    });
  });

  it('missing, makes creating a Redis store say what to install', () => {
    jest.isolateModules(() => {
      jest.doMock('ioredis', () => {
        throw Object.assign(new Error("Cannot find module 'ioredis' from 'lib/util/optional-peer.ts'"), { code: 'MODULE_NOT_FOUND' });
      });
      const { createRedisStore } = require('../../lib/state/redis-store') as typeof import('../../lib/state/redis-store');
      expect(() => createRedisStore({ url: 'redis://localhost:6379', logger: recordingLogger() })).toThrow(
        'The Redis store needs the ioredis package (>= 5): npm install ioredis',
      );
    });
  });
});
