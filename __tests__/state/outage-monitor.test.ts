/** The outage monitor's state and what it logs, on fake timers: one warning down, a reminder a minute, one info back. */
import { OutageMonitor } from '../../lib/state/outage-monitor';
import { recordingLogger } from './recording-logger';

describe('OutageMonitor', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: 1_700_000_000_000 });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  function monitor(probe: () => Promise<unknown>) {
    const logger = recordingLogger();
    const onRecovered = jest.fn();
    const outages = new OutageMonitor({
      logger,
      now: Date.now,
      backend: 'Redis',
      whileDown: 'counting in memory',
      whenBack: 'counting in Redis again',
      fields: { store: 'redis' },
      probe,
      probeIntervalMs: 1000,
      onRecovered,
    });
    return { outages, logger, onRecovered };
  }

  it('degrades on the first failure and warns once, however many failures follow', async () => {
    const probe = jest.fn(() => Promise.reject(new Error('connect ECONNREFUSED')));
    const { outages, logger } = monitor(probe);
    expect(outages.degraded).toBe(false);
    outages.failed(new Error('Connection is closed.'));
    outages.failed(new Error('Connection is closed.'));
    expect(outages.degraded).toBe(true);
    await jest.advanceTimersByTimeAsync(30_000);
    expect(probe).toHaveBeenCalledTimes(30);
    expect(logger.lines).toEqual([
      { level: 'warn', fields: { store: 'redis', error: 'Connection is closed.' }, message: 'Redis is unreachable: counting in memory until it is back' },
    ]);
  });

  it('reminds at most once a minute while the backend stays down', async () => {
    const { outages, logger } = monitor(() => Promise.reject(new Error('connect ECONNREFUSED')));
    outages.failed(new Error('Connection is closed.'));
    await jest.advanceTimersByTimeAsync(59_000);
    expect(logger.lines).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(logger.lines).toHaveLength(2);
    expect(logger.lines[1]).toEqual({
      level: 'warn',
      fields: { store: 'redis', error: 'connect ECONNREFUSED', downForMs: 60_000 },
      message: 'Redis is still unreachable: counting in memory',
    });
    await jest.advanceTimersByTimeAsync(59_000);
    expect(logger.lines).toHaveLength(2);
  });

  it('recovers on the first probe that succeeds, says so once, and stops probing', async () => {
    let up = false;
    const probe = jest.fn(() => (up ? Promise.resolve('PONG') : Promise.reject(new Error('Stream is not writeable'))));
    const { outages, logger, onRecovered } = monitor(probe);
    outages.failed(new Error('Command timed out'));
    await jest.advanceTimersByTimeAsync(2_000);
    up = true;
    await jest.advanceTimersByTimeAsync(1_000);
    expect(outages.degraded).toBe(false);
    expect(onRecovered).toHaveBeenCalledTimes(1);
    expect(logger.lines.at(-1)).toEqual({ level: 'info', fields: { store: 'redis', downForMs: 3_000 }, message: 'Redis is reachable again: counting in Redis again' });
    const probes = probe.mock.calls.length;
    await jest.advanceTimersByTimeAsync(10_000);
    expect(probe).toHaveBeenCalledTimes(probes);
  });

  it('probes at once when asked (the connection is back), one probe at a time, and never while up', async () => {
    let answer: (value: unknown) => void = () => undefined;
    const probe = jest.fn(() => new Promise((resolve) => (answer = resolve)));
    const { outages } = monitor(probe);
    outages.probeNow();
    expect(probe).not.toHaveBeenCalled();
    outages.failed(new Error('Connection is closed.'));
    outages.probeNow();
    outages.probeNow();
    expect(probe).toHaveBeenCalledTimes(1);
    answer('PONG');
    await jest.advanceTimersByTimeAsync(0);
    expect(outages.degraded).toBe(false);
  });

  it('once stopped, neither probes nor logs', async () => {
    const probe = jest.fn(() => Promise.reject(new Error('connect ECONNREFUSED')));
    const { outages, logger } = monitor(probe);
    outages.failed(new Error('Connection is closed.'));
    outages.stop();
    outages.failed(new Error('Connection is closed.'));
    await jest.advanceTimersByTimeAsync(120_000);
    expect(probe).not.toHaveBeenCalled();
    expect(logger.lines).toHaveLength(1);
  });
});
