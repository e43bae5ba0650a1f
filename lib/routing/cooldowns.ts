/**
 * Deployments taken out of rotation after failing: `allowed_fails` failures within a minute, or a single 429, cool a
 * deployment down for `cooldown_time`. Failures are counted in the {@link Store}, so instances sharing one count
 * together; whether a deployment is cooling is this instance's view, read synchronously on every request.
 */
import type { Store } from '../types';

export interface CooldownSettings {
  /** Failures within a minute that send a deployment to cooldown. LiteLLM's default: 3. */
  readonly allowedFails: number;
  readonly cooldownMs: number;
}

const MINUTE_MS = 60_000;

export class Cooldowns {
  private readonly coolingUntil = new Map<string, number>();
  private readonly lastFailure = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly settings: CooldownSettings,
    private readonly now: () => number,
  ) {}

  isCoolingDown(deploymentId: string): boolean {
    const until = this.coolingUntil.get(deploymentId);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.coolingUntil.delete(deploymentId);
    return false;
  }

  /** When the deployment last failed (0 if never): the one that failed longest ago is tried when all are cooling. */
  lastFailureAt(deploymentId: string): number {
    return this.lastFailure.get(deploymentId) ?? 0;
  }

  /**
   * Counts a failure; `immediately` (a 429) cools the deployment down at once.
   * @returns whether the deployment entered cooldown now.
   */
  async recordFailure(deploymentId: string, immediately: boolean): Promise<boolean> {
    const now = this.now();
    this.lastFailure.set(deploymentId, now);
    const failures = await this.store.increment(`failures:${deploymentId}:${Math.floor(now / MINUTE_MS)}`, 1, MINUTE_MS);
    if (!immediately && failures < this.settings.allowedFails) return false;
    if (this.settings.cooldownMs <= 0 || this.isCoolingDown(deploymentId)) return false;
    this.coolingUntil.set(deploymentId, now + this.settings.cooldownMs);
    return true;
  }
}
