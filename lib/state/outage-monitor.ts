/**
 * Whether a shared store's backend is down, and what operators hear about it: one warning when it goes down, at
 * most one more a minute while it stays down, one info when it is back. While down it probes the backend, so the
 * store switches back by itself.
 */
import type { Logger } from '../types';

/** What an {@link OutageMonitor} watches, and how it reports. */
export interface OutageMonitorOptions {
  readonly logger: Logger;
  readonly now: () => number;
  /** The backend's name in messages (`Redis`). */
  readonly backend: string;
  /** What the store does while the backend is down, for the warnings (`each instance counts limits in its own memory`). */
  readonly whileDown: string;
  /** What the store does once the backend is back, for the info line (`counting in Redis again`). */
  readonly whenBack: string;
  /** Fields added to every log line. */
  readonly fields: object;
  /** Resolves when the backend answers, rejects when it does not. */
  readonly probe: () => Promise<unknown>;
  readonly probeIntervalMs: number;
  /** Called once the backend is back, after the store has switched to it. */
  readonly onRecovered: () => void;
}

/** While the backend stays down, one further warning per this period: visible in the logs, never a flood. */
const REMINDER_INTERVAL_MS = 60_000;

/** Degraded from the first reported failure until a probe succeeds; logs the transitions. */
export class OutageMonitor {
  private downSince: number | undefined;
  private lastWarningAt = 0;
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;
  private stopped = false;

  constructor(private readonly options: OutageMonitorOptions) {}

  /** True from the first failure until a probe succeeds. */
  get degraded(): boolean {
    return this.downSince !== undefined;
  }

  /** Reports a failure that means the backend is unreachable: degrades (and warns) if it was not already. */
  failed(error: unknown): void {
    if (this.stopped) return;
    const { logger, backend, fields, now } = this.options;
    const at = now();
    const reason = error instanceof Error ? error.message : String(error);
    if (this.downSince === undefined) {
      this.downSince = at;
      this.lastWarningAt = at;
      logger.warn({ ...fields, error: reason }, `${backend} is unreachable: ${this.options.whileDown} until it is back`);
      this.probeTimer = setInterval(() => this.probeNow(), this.options.probeIntervalMs);
      // The probe must not keep a process alive that has nothing else to do.
      this.probeTimer.unref();
      return;
    }
    if (at - this.lastWarningAt >= REMINDER_INTERVAL_MS) {
      this.lastWarningAt = at;
      logger.warn({ ...fields, error: reason, downForMs: at - this.downSince }, `${backend} is still unreachable: ${this.options.whileDown}`);
    }
  }

  /** Probes now (once the connection is back, say) rather than at the next interval. Does nothing while up. */
  probeNow(): void {
    if (this.downSince === undefined || this.probing || this.stopped) return;
    this.probing = true;
    this.options
      .probe()
      .then(
        () => this.recovered(),
        (error: unknown) => this.failed(error),
      )
      .finally(() => {
        this.probing = false;
      });
  }

  /** Stops probing and reporting, for good (the store is closing). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.probeTimer);
  }

  private recovered(): void {
    if (this.downSince === undefined || this.stopped) return;
    const downForMs = this.options.now() - this.downSince;
    this.downSince = undefined;
    clearInterval(this.probeTimer);
    this.options.logger.info({ ...this.options.fields, downForMs }, `${this.options.backend} is reachable again: ${this.options.whenBack}`);
    this.options.onRecovered();
  }
}
