/**
 * Keeps this instance's view of every deployment in step with the other instances sharing the store: it publishes
 * the requests and tokens each deployment served this minute, and at most once a second reads back everyone's
 * (and the cooldowns others wrote). Reads are never awaited on a request's path: the view lags by at most a
 * second or so, which per-deployment limits and usage-based routing tolerate (key limits are counted exactly,
 * in the store itself, by the key limiter).
 */
import type { Store } from '../state/store';
import type { Logger } from '../types';
import { cooldownKey, type Cooldowns } from './cooldowns';
import type { RouterStats } from './stats';

const REFRESH_EVERY_MS = 1000;
const MINUTE_MS = 60_000;

function requestsKey(deploymentId: string, minute: number): string {
  return `deployment-rpm:${deploymentId}:${minute}`;
}

function tokensKey(deploymentId: string, minute: number): string {
  return `deployment-tpm:${deploymentId}:${minute}`;
}

export class SharedDeploymentState {
  private refreshedAt = 0;
  private refreshing = false;

  constructor(
    private readonly store: Store,
    private readonly deploymentIds: readonly string[],
    private readonly stats: RouterStats,
    private readonly cooldowns: Cooldowns,
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {}

  /** A request was sent to the deployment. */
  started(deploymentId: string): void {
    this.publish(this.store.increment(requestsKey(deploymentId, this.minute()), 1, MINUTE_MS));
  }

  /** The deployment's answer used `tokens`. */
  usedTokens(deploymentId: string, tokens: number): void {
    if (tokens > 0) this.publish(this.store.increment(tokensKey(deploymentId, this.minute()), tokens, MINUTE_MS));
  }

  /** Starts a refresh when the view is more than a second old; never waits for it. */
  refreshIfStale(): void {
    const now = this.now();
    if (this.refreshing || now - this.refreshedAt < REFRESH_EVERY_MS) return;
    this.refreshing = true;
    this.refreshedAt = now;
    this.refresh().finally(() => {
      this.refreshing = false;
    });
  }

  private async refresh(): Promise<void> {
    const minute = this.minute();
    const keys = this.deploymentIds.flatMap((id) => [requestsKey(id, minute), tokensKey(id, minute), cooldownKey(id)]);
    try {
      const values = await this.store.getMany(keys);
      this.deploymentIds.forEach((id, index) => {
        this.stats.learnUsage(id, minute, values[index * 3] ?? 0, values[index * 3 + 1] ?? 0);
        this.cooldowns.learn(id, values[index * 3 + 2]);
      });
    } catch (error) {
      this.logger.debug({ error: String(error) }, 'reading shared deployment state failed');
    }
  }

  private publish(write: Promise<unknown>): void {
    write.catch((error: unknown) => this.logger.debug({ error: String(error) }, 'writing shared deployment state failed'));
  }

  private minute(): number {
    return Math.floor(this.now() / MINUTE_MS);
  }
}
