/**
 * Whether a request's client has gone away, and what to do when it does. An AbortSignal would do the same, but every
 * request would pay for an AbortController, its EventTarget and a listener object per registration; the gateway
 * needs only a flag and a callback or two.
 */
export class ClientDeparture {
  private readonly listeners: Array<() => void> = [];
  private gone = false;

  /** Whether the client has left. */
  get left(): boolean {
    return this.gone;
  }

  /**
   * Calls `listener` once, when the client leaves (not if it has left already: check {@link left} first, as with an
   * AbortSignal's `aborted`).
   * @returns what unregisters it.
   */
  onLeave(listener: () => void): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index !== -1) this.listeners.splice(index, 1);
    };
  }

  /** The client left: every registered listener runs, once. */
  leave(): void {
    if (this.gone) return;
    this.gone = true;
    for (const listener of this.listeners.splice(0)) listener();
  }
}
