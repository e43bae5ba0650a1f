/**
 * Deployments taken out of rotation after failing: `allowed_fails` failures within a minute, or a single 429, cool a
 * deployment down for `cooldown_time`. Failures and cooldowns are written to the {@link Store}, so instances sharing
 * one count together and see each other's cooldowns; each instance reads its own view synchronously on every request,
 * refreshed from the store by {@link SharedDeploymentState}.
 */
import type { Store } from '../state/store';

export interface CooldownSettings {
  /** Failures within a minute that send a deployment to cooldown. LiteLLM's default: 3. */
  readonly allowedFails: number;
  readonly cooldownMs: number;
}

const MINUTE_MS = 60_000;

export class Cooldowns {
  private readonly coolingUntilMs: Map<string, number>;
  private readonly lastFailure: Map<string, number>;

  /**
   * @param carriedOver - the previous configuration's cooldowns, on a reload: both share what they know, by
   * deployment id, so a deployment kept by the new configuration stays cooling down, and the previous configuration's
   * requests still in flight count their failures under its own settings.
   */
  constructor(
    private readonly store: Store,
    private readonly settings: CooldownSettings,
    private readonly now: () => number,
    carriedOver?: Cooldowns,
  ) {
    this.coolingUntilMs = carriedOver?.coolingUntilMs ?? new Map();
    this.lastFailure = carriedOver?.lastFailure ?? new Map();
  }

  /** Forgets every deployment but these (those a reloaded configuration dropped). */
  keepOnly(deploymentIds: ReadonlySet<string>): void {
    for (const known of [this.coolingUntilMs, this.lastFailure]) {
      for (const id of known.keys()) if (!deploymentIds.has(id)) known.delete(id);
    }
  }

  isCoolingDown(deploymentId: string): boolean {
    const until = this.coolingUntilMs.get(deploymentId);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.coolingUntilMs.delete(deploymentId);
    return false;
  }

  /** When the deployment's cooldown ends, if it is cooling down. */
  coolingUntil(deploymentId: string): Date | undefined {
    return this.isCoolingDown(deploymentId) ? new Date(this.coolingUntilMs.get(deploymentId) as number) : undefined;
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
    const until = now + this.settings.cooldownMs;
    this.coolingUntilMs.set(deploymentId, until);
    await this.store.set(cooldownKey(deploymentId), until, this.settings.cooldownMs);
    return true;
  }

  /** Takes in cooldowns other instances wrote (`until`: epoch ms, undefined when the store has none). */
  learn(deploymentId: string, until: number | undefined): void {
    if (until !== undefined && until > (this.coolingUntilMs.get(deploymentId) ?? 0)) this.coolingUntilMs.set(deploymentId, until);
  }
}

/** Where a deployment's cooldown is kept in the store: its value is the epoch milliseconds it ends. */
export function cooldownKey(deploymentId: string): string {
  return `cooldown:${deploymentId}`;
}
