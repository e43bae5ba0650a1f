/**
 * The upstream connection pools across reloads. A configuration that still calls every origin the previous one
 * called keeps its agent, warm connections and all; one that drops an origin gets a fresh agent, and the old one is
 * closed once the last request that started on it is over — never under a stream still being relayed.
 */
import type { Agent } from 'undici';
import { createUpstreamAgent } from '../upstream/agent';

/** An undici agent and the requests using it; closed once retired and idle. */
export class UpstreamPool {
  readonly agent: Agent = createUpstreamAgent();
  private users = 0;
  private closing: Promise<void> | undefined;
  /** Set once retired: closes the pool. */
  private whenIdle: (() => void) | undefined;

  /** A request that may call upstream through this pool has started. */
  enter(): void {
    this.users++;
  }

  /** That request is over, however it went. */
  leave(): void {
    if (--this.users === 0) this.whenIdle?.();
  }

  /**
   * No new request will use this pool: it closes as soon as the requests using it are over.
   * @returns a promise of that moment.
   */
  retire(): Promise<void> {
    const closed = new Promise<void>((resolve) => {
      this.whenIdle = () => void this.close().then(resolve, resolve);
    });
    if (this.users === 0) this.whenIdle?.();
    return closed;
  }

  /** Closes the agent now; the requests it dispatched finish first (undici closes gracefully). */
  close(): Promise<void> {
    return (this.closing ??= this.agent.close());
  }
}

/**
 * The pool for a configuration calling `origins`: the previous one when it called no origin missing from them,
 * else a new pool (the caller retires the previous one once the new configuration is live).
 */
export function poolFor(previous: { pool: UpstreamPool; origins: ReadonlySet<string> } | undefined, origins: ReadonlySet<string>): UpstreamPool {
  if (previous && [...previous.origins].every((origin) => origins.has(origin))) return previous.pool;
  return new UpstreamPool();
}
