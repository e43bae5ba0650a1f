/**
 * Lease releases that could not reach the shared backend, kept to be sent once it is back. Without them, a lease
 * taken in Redis and given back during an outage would hold its slot until its TTL ends (15 minutes for a key's
 * parallel-request lease), long after the outage.
 */

/** Beyond this many, the oldest releases are forgotten: their leases still free themselves at the end of their TTL. */
const MAX_PENDING_RELEASES = 10_000;

/** Releases waiting for the backend, each kept once, oldest forgotten first. */
export class ReleaseBacklog {
  /** In insertion order, so the first entry is the oldest; keyed so that a release is kept once. */
  private readonly pending = new Map<string, [key: string, leaseId: string]>();

  remember(key: string, leaseId: string): void {
    if (this.pending.size >= MAX_PENDING_RELEASES) {
      const oldest = this.pending.keys().next();
      if (!oldest.done) this.pending.delete(oldest.value);
    }
    this.pending.set(`${key}\n${leaseId}`, [key, leaseId]);
  }

  /** Every release kept so far, emptying the backlog. */
  takeAll(): Array<[key: string, leaseId: string]> {
    const releases = [...this.pending.values()];
    this.pending.clear();
    return releases;
  }
}
