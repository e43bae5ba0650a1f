/**
 * Waits, but no longer than until the signal aborts (the client went away), and never throws. `Infinity` waits for
 * the signal alone (a timer cannot hold more than about 24 days, and Node turns a longer one into 1 ms).
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
    signal.addEventListener('abort', done, { once: true });
  });
}
