/** SIGTERM and SIGINT: the first starts a graceful stop, a second one exits at once. SIGHUP: reload. */
import { constants } from 'node:os';
import type { Logger } from '../types';

const SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/**
 * Runs `stop` on the first SIGTERM or SIGINT and exits 0 when it resolves (1 if it fails). A second signal means
 * the operator will not wait: the process exits at once with the shell's code for that signal (128 + its number).
 */
export function stopOnSignals(stop: (signal: NodeJS.Signals) => Promise<void>, logger: Logger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(128 + constants.signals[signal]);
    }
    stopping = true;
    stop(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ signal, error: String(error) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  for (const signal of SHUTDOWN_SIGNALS) process.on(signal, onSignal);
}

/**
 * Runs `reload` on every SIGHUP, the signal daemons reload their configuration on. It reports its own outcome (the
 * gateway logs one line per reload); a refused configuration leaves the process serving the one it has.
 */
export function reloadOnHangup(reload: () => Promise<unknown>): void {
  process.on('SIGHUP', () => {
    reload().catch(() => undefined);
  });
}
