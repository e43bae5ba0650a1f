/** What the admin API reads, taken from the gateway's live state. */
import type { AdminData, DeploymentStatus, KeyStatus } from './admin';
import type { RecentErrorLog } from './admin/recent-errors';
import { principalOf } from './auth/key-records';
import type { GatewayConfig } from './config/types';
import type { KeyLimiter } from './limits/key-limiter';
import type { Cooldowns } from './routing/cooldowns';
import type { RouterStats } from './routing/stats';
import type { SpendTable } from './tracking/spend-table';
import type { Deployment } from './types';

export interface AdminSources {
  readonly config: GatewayConfig;
  readonly deployments: readonly Deployment[];
  readonly stats: RouterStats;
  readonly cooldowns: Cooldowns;
  readonly limiter: KeyLimiter;
  readonly spend: SpendTable;
  readonly recentErrors: RecentErrorLog;
}

export function createAdminData(sources: AdminSources): AdminData {
  const { config, stats, cooldowns, limiter } = sources;
  return {
    spend: (query) => sources.spend.report(query),
    recentErrors: async () => sources.recentErrors.list(),

    async deployments(): Promise<readonly DeploymentStatus[]> {
      return sources.deployments.map((deployment) => ({
        id: deployment.id,
        modelName: deployment.modelName,
        modelId: deployment.modelId,
        region: deployment.region,
        endpoint: deployment.endpoint,
        coolingDown: cooldowns.isCoolingDown(deployment.id),
        coolingDownUntil: cooldowns.coolingUntil(deployment.id)?.toISOString() ?? null,
        inFlight: stats.inFlight(deployment.id),
        latencyMs: { plain: stats.latencyMs(deployment.id, false) ?? null, stream: stats.latencyMs(deployment.id, true) ?? null },
        thisMinute: { requests: stats.usageThisMinute(deployment.id).requests, tokens: stats.usageThisMinute(deployment.id).tokens },
        limits: { rpm: deployment.rpm ?? null, tpm: deployment.tpm ?? null },
      }));
    },

    // The config's keys; keys a host's key source serves cannot be listed.
    async keys(): Promise<readonly KeyStatus[]> {
      return Promise.all(
        (config.keys ?? []).map(async (key) => {
          const principal = principalOf(key);
          const usage = await limiter.usage(principal);
          return {
            id: principal.keyId,
            name: key.name,
            models: key.models ?? null,
            operations: key.operations ?? null,
            limits: {
              rpm: key.rpm ?? null,
              tpm: key.tpm ?? null,
              maxParallelRequests: key.max_parallel_requests ?? null,
              maxBudgetUsd: key.max_budget ?? null,
              budgetDuration: key.budget_duration ?? null,
              expires: key.expires ?? null,
            },
            disabled: key.disabled === true,
            metadata: key.metadata ?? {},
            usage: {
              thisMinute: { requests: usage.requestsThisMinute, tokens: usage.tokensThisMinute },
              inFlight: usage.inFlight,
              budgetSpendUsd: usage.budgetSpendUsd,
              budgetResetsAt: usage.budgetResetsAt?.toISOString() ?? null,
            },
          };
        }),
      );
    },
  };
}
