/**
 * Copies of what `AdminData` returns holding only the published fields. An implementation that hands over a
 * richer object — a deployment with its credentials, a key config with its secret, a record with its message — then
 * still cannot leak anything through the admin API: what is not named here is never serialised.
 */
import type { DeploymentStatus, KeyStatus, MinuteUsage, RecentError } from './types';

function minuteUsage(usage: MinuteUsage): MinuteUsage {
  return { requests: usage.requests, tokens: usage.tokens };
}

/** The published fields of a deployment's status. */
export function deploymentView(deployment: DeploymentStatus): DeploymentStatus {
  return {
    id: deployment.id,
    modelName: deployment.modelName,
    modelId: deployment.modelId,
    region: deployment.region,
    endpoint: deployment.endpoint,
    coolingDown: deployment.coolingDown,
    coolingDownUntil: deployment.coolingDownUntil,
    inFlight: deployment.inFlight,
    latencyMs: { plain: deployment.latencyMs.plain, stream: deployment.latencyMs.stream },
    thisMinute: minuteUsage(deployment.thisMinute),
    limits: { rpm: deployment.limits.rpm, tpm: deployment.limits.tpm },
  };
}

/** The published fields of a key's status. */
export function keyView(key: KeyStatus): KeyStatus {
  const { limits, usage } = key;
  return {
    id: key.id,
    name: key.name,
    models: key.models,
    operations: key.operations,
    limits: {
      rpm: limits.rpm,
      tpm: limits.tpm,
      maxParallelRequests: limits.maxParallelRequests,
      maxBudgetUsd: limits.maxBudgetUsd,
      budgetDuration: limits.budgetDuration,
      expires: limits.expires,
    },
    disabled: key.disabled,
    metadata: key.metadata,
    usage: {
      thisMinute: minuteUsage(usage.thisMinute),
      inFlight: usage.inFlight,
      budgetSpendUsd: usage.budgetSpendUsd,
      budgetResetsAt: usage.budgetResetsAt,
    },
  };
}

/** The published fields of a failed request. */
export function recentErrorView(error: RecentError): RecentError {
  return {
    time: error.time,
    requestId: error.requestId,
    keyName: error.keyName,
    modelName: error.modelName,
    operation: error.operation,
    deploymentId: error.deploymentId,
    status: error.status,
    errorType: error.errorType,
  };
}
