/**
 * What the admin API serves, and the interface the gateway implements to supply it. Every shape is plain JSON:
 * absent values are `null` rather than `undefined`, so a field never silently disappears from the answer, and
 * no shape has a place for a secret.
 */
import type { MinuteUsage } from '../balancer/stats';
import type { SpendReport } from '../tracking/spend-table';

export type { MinuteUsage };

/** One deployment's health and load. */
export interface DeploymentStatus {
  /** `model_info.id`, else the gateway's derived id. */
  readonly id: string;
  /** The model group (`model_name`). */
  readonly modelName: string;
  /** The model id (or ARN) sent upstream. */
  readonly modelId: string;
  readonly region: string;
  /** Base URL of Bedrock Runtime for this deployment. */
  readonly endpoint: string;
  /** Whether the deployment is out of rotation after failing. */
  readonly coolingDown: boolean;
  /** When the cooldown ends (ISO 8601); null when not cooling down. */
  readonly coolingDownUntil: string | null;
  /** Requests sent to it and not yet finished. */
  readonly inFlight: number;
  /**
   * Moving averages of recent latencies in milliseconds: the whole answer for plain calls, the first byte for
   * streams; null before the first sample.
   */
  readonly latencyMs: { readonly plain: number | null; readonly stream: number | null };
  /** Requests and tokens in the current minute, as its `rpm` and `tpm` count them. */
  readonly thisMinute: MinuteUsage;
  /** Its `rpm` and `tpm`; null when unlimited. */
  readonly limits: { readonly rpm: number | null; readonly tpm: number | null };
}

/** One key's limits, as configured. Null means no limit. */
export interface KeyStatusLimits {
  readonly rpm: number | null;
  readonly tpm: number | null;
  readonly maxParallelRequests: number | null;
  /** USD per budget window (`max_budget`). */
  readonly maxBudgetUsd: number | null;
  /** The budget window as configured (`30d`, `1h`...); null for a budget that never resets. */
  readonly budgetDuration: string | null;
  /** When the key stops working (ISO 8601). */
  readonly expires: string | null;
}

/** What one key is using now. */
export interface KeyStatusUsage {
  /** Requests and tokens in the current minute, as its `rpm` and `tpm` count them. */
  readonly thisMinute: MinuteUsage;
  readonly inFlight: number;
  /** USD spent in the current budget window (in all, when the key has no `budget_duration`). */
  readonly budgetSpendUsd: number;
  /** When the current budget window ends (ISO 8601); null when the key has no `budget_duration`. */
  readonly budgetResetsAt: string | null;
}

/** One client key: who it is, what it may do, and what it uses. Never its secret. */
export interface KeyStatus {
  /** The stable id used in records and limits (`key:<name>`, `master`). */
  readonly id: string;
  readonly name: string;
  /** Model groups it may call; null for all. */
  readonly models: readonly string[] | null;
  /** Operations it may call; null for all. */
  readonly operations: readonly string[] | null;
  readonly limits: KeyStatusLimits;
  /** A disabled key is refused without being deleted (`disabled: true`). */
  readonly disabled: boolean;
  /** The key's configured metadata (team, owner...); `{}` when none. */
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly usage: KeyStatusUsage;
}

/** One failed request, without its message or any body (those may hold prompts or secrets). */
export interface RecentError {
  /** When it arrived (ISO 8601). */
  readonly time: string;
  /** The gateway's request id, to find the request in the logs. */
  readonly requestId: string;
  /** Null when the request failed before its key was known. */
  readonly keyName: string | null;
  /** Null when the request failed before its model group was known. */
  readonly modelName: string | null;
  /** The operation asked for (`converse`...). */
  readonly operation: string;
  /** The deployment that answered last; null when none was reached. */
  readonly deploymentId: string | null;
  /** The status the client got. */
  readonly status: number;
  /** `ThrottlingException`, `ECONNREFUSED`...; null when unknown. */
  readonly errorType: string | null;
}

/**
 * The gateway's state as the admin API reads it. The gateway implements it; every method is called on each
 * admin request (every 5 s by each open dashboard), so it should be cheap: memory, or a few store round trips.
 */
export interface AdminData {
  /** Spend by day (UTC) × key × model group, with totals; from `since` (`YYYY-MM-DD`, inclusive) when given. */
  spend(query: { readonly since?: string }): Promise<SpendReport>;
  /** Every deployment of every model group. */
  deployments(): Promise<readonly DeploymentStatus[]>;
  /** Every configured key (the master key included, if the gateway reports it), without secrets. */
  keys(): Promise<readonly KeyStatus[]>;
  /** The most recent failed requests (the last 100 or so), newest first. */
  recentErrors(): Promise<readonly RecentError[]>;
}
