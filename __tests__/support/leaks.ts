/**
 * Leak checks: the sockets, servers, timers and DNS lookups a case opened and did not release.
 *
 * "No leak" means: once the case is over and the gateway it used is closed, nothing created during the case still
 * keeps the process alive. The gateway's idle keep-alive connections to upstream are legitimate while it runs;
 * `close()` releases them, and must do so without waiting on an upstream call still running (undici's close waits
 * for those, so a leaked call shows up as a close that does not finish: {@link closesPromptly}).
 *
 * Why not compare `process.getActiveResourcesInfo()` before and after: it only counts resources by kind, and the
 * test runner's own timers come and go, so a leaked timer can hide behind one of Jest's that ended. The resources
 * are followed one by one instead, from creation to release (`async_hooks`), and only those created on the case's
 * behalf: in its asynchronous context, which every socket, server and timer it leads to inherits.
 */
import { AsyncLocalStorage, createHook } from 'node:async_hooks';

/**
 * What keeps a process alive and a fault can leave behind. Not TLSWRAP: it is released when collected, not when
 * closed; the TCPWRAP beneath every TLS socket stands for it.
 */
const WATCHED = new Set(['TCPWRAP', 'TCPSERVERWRAP', 'PIPEWRAP', 'TCPCONNECTWRAP', 'GETADDRINFOREQWRAP', 'Timeout']);

/** A timer or handle as `async_hooks` hands it over. */
interface Resource {
  hasRef?: () => boolean;
  /** Timers: set once fired or cleared (their destroy hook comes a little later). */
  _destroyed?: boolean;
}

/** Resources created on behalf of a case, as long as they live. */
export interface ResourceWatch {
  /** Runs `work` as part of the case: what it creates is watched. */
  within<T>(work: () => T): T;
  /** Those still alive that keep the process alive (unref'd timers and handles do not), counted by kind. */
  held(): Record<string, number>;
  stop(): void;
}

export function watchResources(): ResourceWatch {
  const context = new AsyncLocalStorage<true>();
  const alive = new Map<number, { type: string; resource: Resource }>();
  const hook = createHook({
    init(asyncId, type, _triggerAsyncId, resource) {
      if (WATCHED.has(type) && context.getStore()) alive.set(asyncId, { type, resource: resource as Resource });
    },
    destroy(asyncId) {
      alive.delete(asyncId);
    },
  }).enable();
  return {
    within: (work) => context.run(true, work),
    held: () => {
      const counts: Record<string, number> = {};
      for (const { type, resource } of alive.values()) {
        if (resource.hasRef?.() !== false && resource._destroyed !== true) counts[type] = (counts[type] ?? 0) + 1;
      }
      return counts;
    },
    stop: () => hook.disable(),
  };
}

/**
 * Waits until nothing watched is held any more (a socket takes a few turns to close after its peer did), polling
 * every few milliseconds; fails with what is still held after `timeoutMs`.
 */
export async function expectReleased(watch: ResourceWatch, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const held = watch.held();
    if (Object.keys(held).length === 0) return;
    if (Date.now() > deadline) throw new Error(`still held ${timeoutMs} ms after the case: ${JSON.stringify(held)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Runs `close`, failing if it has not finished after `timeoutMs` (it was waiting on something left running). */
export async function closesPromptly(close: () => Promise<void>, what: string, timeoutMs = 5000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not close within ${timeoutMs} ms: something it waits on is still running`)), timeoutMs);
  });
  try {
    await Promise.race([close(), late]);
  } finally {
    clearTimeout(timer);
  }
}
