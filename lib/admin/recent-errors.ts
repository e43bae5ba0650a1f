/**
 * The admin API's list of recent failures: a ring of the last failed requests' records, kept in this instance's
 * memory, reduced to fields that carry no message and no body.
 */
import type { CostTracker, UsageRecord } from '../types';
import type { RecentError } from './types';

/** Failed requests as they finish, and the most recent of them. */
export interface RecentErrorLog extends CostTracker {
  /** The kept failures, newest first. */
  list(): RecentError[];
}

/** How many failures are kept by default: enough to see a pattern, small enough to send every few seconds. */
export const RECENT_ERRORS_KEPT = 100;

/** A request failed as the `onError` hook counts it: status 400 or more, or a stream that broke off. */
function failed(usage: UsageRecord): boolean {
  return usage.status >= 400 || usage.outcome === 'upstream-failed';
}

function recentError(usage: UsageRecord): RecentError {
  return {
    time: usage.time.toISOString(),
    requestId: usage.requestId,
    keyName: usage.keyName ?? null,
    // The record's model group is '' when the request failed before its model was resolved.
    modelName: usage.modelName || null,
    operation: usage.operation,
    deploymentId: usage.deploymentId ?? null,
    status: usage.status,
    errorType: usage.errorType ?? null,
  };
}

/** Creates the log; give it every request's record (it is a {@link CostTracker}) and it keeps the failures. */
export function createRecentErrorLog(capacity = RECENT_ERRORS_KEPT): RecentErrorLog {
  const kept: RecentError[] = [];
  return {
    record(usage) {
      if (!failed(usage)) return;
      kept.push(recentError(usage));
      if (kept.length > capacity) kept.shift();
    },
    list: () => kept.slice().reverse(),
  };
}
